namespace QuantReason.Analysis

open System
open System.IO
open System.Text
open System.Text.Encodings.Web
open System.Text.Json
open QuantReason
open QuantReason.Data.StepMath

type ReportOptions =
    { /// Run directories, or folders whose sub-folders are run directories (one dataset).
      Runs: string list
      /// The report folder: `<Out>/index.html`.
      Out: string }

/// `report/index.html`: the study on one static page opened from disk (no server, plotly.js embedded): the degradation
/// table, the charts, the restoration table when present, and a per-problem browser with full precision and every
/// configuration side by side, each first error highlighted at its step with its type, filters, and links into
/// the run directories.
module Report =

    /// One configuration's answer to one problem, as the browser shows it.
    type private Answer =
        { Config: int
          Correct: bool
          Extracted: string
          Steps: string list
          /// 0-based; None when the chain has no labelled error.
          FirstError: int option
          ErrorType: string option }

    /// A model output split into steps: the step-tag format's segments, else paragraphs.
    let steps (output: string) : string list =
        if output.Contains SolutionFormat.StepStart then
            (SolutionFormat.Parse output).Steps |> Seq.map (fun s -> s.Text) |> List.ofSeq
        else
            output.Split([| "\n\n" |], StringSplitOptions.RemoveEmptyEntries) |> Array.map (fun s -> s.Trim()) |> List.ofArray

    /// (problem_id, sample) → (prompt, raw output) from a run's predictions.jsonl (the typed loader leaves text on disk).
    let private texts (run: Run) : Map<string * int, string * string> =
        let file = Path.Combine(run.Path, "predictions.jsonl")
        File.ReadLines file
        |> Seq.filter (fun l -> not (String.IsNullOrWhiteSpace l))
        |> Seq.choose (fun line ->
            // A torn last line (a run still being written) is left out, as the loader does.
            try
                use doc = JsonDocument.Parse line
                let r = doc.RootElement
                let str (name: string) =
                    match r.TryGetProperty name with
                    | true, v when v.ValueKind = JsonValueKind.String -> v.GetString()
                    | _ -> ""
                Some((str "problem_id", r.GetProperty("sample").GetInt32()), (str "prompt", str "output"))
            with :? JsonException -> None)
        |> Map.ofSeq

    let private json (value: obj) =
        JsonSerializer.Serialize(value, JsonSerializerOptions(Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping))
            .Replace("</", "<\\/")

    /// The browser's data: configurations (label, run link) and problems with every configuration's answer.
    let private browserData (outDir: string) (runs: Run list) =
        let ordered = runs |> List.sortBy (fun r -> r.Manifest.Model.Name, Config.order (Config.ofManifest r.Manifest))
        let several = (ordered |> List.map (fun r -> r.Manifest.Model.Name) |> List.distinct).Length > 1
        let label (r: Run) =
            let c = Config.label (Config.ofManifest r.Manifest)
            if several then r.Manifest.Model.Name + " " + c else c
        let configs =
            ordered
            |> List.map (fun r ->
                let link = Path.GetRelativePath(outDir, r.Path).Replace('\\', '/')
                {| label = label r; run = r.Manifest.RunId; link = link |})
        let byProblem = Collections.Generic.Dictionary<string * int, ResizeArray<Answer>>()
        let meta = Collections.Generic.Dictionary<string * int, Prediction * string>()
        let order = ResizeArray<string * int>()
        ordered
        |> List.iteri (fun ci run ->
            let text = texts run
            let labels =
                run.Labels |> List.groupBy (fun l -> l.ProblemId, l.Sample) |> List.map (fun (k, ls) -> k, List.head ls) |> Map.ofList
            for p in run.Predictions do
                let key = p.ProblemId, p.Sample
                let prompt, output = text |> Map.tryFind key |> Option.defaultValue ("", "")
                if not (byProblem.ContainsKey key) then
                    byProblem.[key] <- ResizeArray()
                    meta.[key] <- (p, prompt)
                    order.Add key
                let label = labels |> Map.tryFind key
                byProblem.[key].Add
                    { Config = ci
                      Correct = p.Correct
                      Extracted = defaultArg p.Extracted ""
                      Steps = steps output
                      FirstError = label |> Option.bind (fun l -> l.FirstErrorStep)
                      ErrorType = label |> Option.bind (fun l -> l.ErrorType) })
        let problems =
            [ for key in order do
                  let p, prompt = meta.[key]
                  {| id = fst key
                     sample = snd key
                     level = p.Level |> Option.map string |> Option.defaultValue ""
                     subject = defaultArg p.Subject ""
                     problem = prompt.Replace("<s>", "")
                     gold = p.Gold
                     answers =
                      byProblem.[key]
                      |> Seq.map (fun a ->
                          {| config = a.Config
                             correct = a.Correct
                             extracted = a.Extracted
                             steps = a.Steps
                             firstError = (match a.FirstError with Some s -> s | None -> -1)
                             errorType = defaultArg a.ErrorType "" |})
                      |> Array.ofSeq |} ]
        {| configs = configs; problems = problems |}

    let private style =
        """<style>
body{font-family:Arial,Helvetica,sans-serif;margin:0 auto;max-width:1400px;padding:0 16px;color:#111}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.filters{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid #ddd;z-index:5}
.filters label{margin-right:14px}
.problem{border:1px solid #ddd;border-radius:4px;margin:10px 0;padding:8px}
.problem h3{font-size:14px;margin:0 0 6px 0}
.answers{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:6px}
.answer{border:1px solid #eee;padding:4px;font-size:12px}
.answer.wrong{border-color:#e0a0a0}
.answer .head{font-weight:bold}
.answer ol{margin:4px 0;padding-left:22px}
.answer li{font-family:monospace;white-space:pre-wrap}
.first-error{background:#ffd6d6;outline:1px solid #c00}
.etype{display:inline-block;background:#c00;color:#fff;border-radius:3px;padding:0 4px;margin-left:4px;font-family:Arial,sans-serif;font-size:11px}
.ok{color:#070}.bad{color:#b00}
</style>"""

    /// The browser: filters, then the first `pageSize` matching problems, more on demand.
    let private script =
        """<script type="text/javascript">(function(){
var data=JSON.parse(document.getElementById('qr-data').textContent);
var pageSize=40, shown=pageSize;
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined)e.textContent=text;return e;}
function fill(select,values){values.forEach(function(v){var o=el('option','',v.label);o.value=v.value;select.appendChild(o);});}
var levels=[],types=[];
data.problems.forEach(function(p){if(p.level&&levels.indexOf(p.level)<0)levels.push(p.level);p.answers.forEach(function(a){if(a.errorType&&types.indexOf(a.errorType)<0)types.push(a.errorType);});});
levels.sort();types.sort();
var fLevel=document.getElementById('f-level'),fConfig=document.getElementById('f-config'),fType=document.getElementById('f-type'),fWrong=document.getElementById('f-wrong');
fill(fLevel,levels.map(function(l){return {label:'level '+l,value:l};}));
fill(fConfig,data.configs.map(function(c,i){return {label:c.label+' wrong',value:String(i)};}));
fill(fType,types.map(function(t){return {label:t,value:t};}));
function matches(p){
  if(fLevel.value&&p.level!==fLevel.value)return false;
  if(fConfig.value){var ci=+fConfig.value;if(!p.answers.some(function(a){return a.config===ci&&!a.correct;}))return false;}
  if(fType.value&&!p.answers.some(function(a){return a.errorType===fType.value;}))return false;
  if(fWrong.checked&&p.answers.every(function(a){return a.correct;}))return false;
  return true;}
function render(){
  var list=document.getElementById('problems');list.innerHTML='';
  var hits=data.problems.filter(matches);
  document.getElementById('count').textContent=hits.length+' of '+data.problems.length+' problems';
  hits.slice(0,shown).forEach(function(p){
    var box=el('div','problem');
    box.appendChild(el('h3','',p.id+(p.level?'  · level '+p.level:'')+(p.subject?'  · '+p.subject:'')+'  · gold '+p.gold));
    if(p.problem)box.appendChild(el('div','',p.problem));
    var grid=el('div','answers');
    p.answers.forEach(function(a){
      var c=data.configs[a.config];
      var card=el('div','answer'+(a.correct?'':' wrong'));
      var head=el('div','head');var link=el('a','',c.label);link.href=c.link+'/predictions.jsonl';head.appendChild(link);
      head.appendChild(el('span',a.correct?'ok':'bad',a.correct?'  ✓ ':'  ✗ '+a.extracted));
      card.appendChild(head);
      var ol=el('ol');
      a.steps.forEach(function(s,i){var li=el('li',i===a.firstError?'first-error':'',s);
        if(i===a.firstError&&a.errorType)li.appendChild(el('span','etype',a.errorType));
        ol.appendChild(li);});
      card.appendChild(ol);grid.appendChild(card);});
    box.appendChild(grid);list.appendChild(box);});
  document.getElementById('more').style.display=hits.length>shown?'inline':'none';}
[fLevel,fConfig,fType,fWrong].forEach(function(x){x.addEventListener('change',function(){shown=pageSize;render();});});
document.getElementById('more').addEventListener('click',function(){shown+=pageSize;render();});
render();})();</script>"""

    /// Writes `<Out>/index.html`; returns its path. Everything is computed before the file is written.
    let write (options: ReportOptions) : string =
        let runs = PaperBuild.resolveRuns options.Runs
        let dataset = RunDirectory.requireOneDataset runs
        let outDir = Path.GetFullPath options.Out
        let untrained = runs |> List.filter (fun r -> r.Manifest.Training.IsNone)
        let about = Figures.subject (untrained |> List.map (fun r -> r.Manifest.Model.Name)) dataset.Name
        let synthetic = if runs |> List.exists Demo.isSynthetic then " [SYNTHETIC demo input]" else ""
        let degradation = Degradation.table untrained
        let rows = Frame.ofRuns None untrained
        let charts =
            [ yield Figures.degradation (sprintf "Accuracy of %s by quantization" about) degradation
              if rows |> List.exists (fun r -> r.Level.IsSome) then
                  yield Figures.degradationByLevel (sprintf "Accuracy (%%) of %s by difficulty level" about) rows
              let failures = rows |> List.filter (fun r -> r.Label.IsSome && not r.Correct)
              if not failures.IsEmpty then
                  yield Figures.errorCategories (sprintf "First errors of %s by category" about) (ErrorTypes.byCategory failures)
                  yield Figures.errorTypeHeatmap (sprintf "Share of first errors of %s by type (%%)" about) (ErrorTypes.byType failures)
              let labelled = rows |> List.filter (fun r -> r.Label.IsSome)
              if not labelled.IsEmpty then
                  yield Figures.survival (sprintf "Survival of reasoning chains of %s" about) (PaperBuild.survivalCurves labelled) ]
        let restoration = Restoration.table runs
        let ablation = Ablation.ofRestoration restoration
        let body = StringBuilder()
        let add (s: string) = body.Append(s).Append('\n') |> ignore
        add (sprintf "<h1>%s%s</h1>" (Web.HttpUtility.HtmlEncode("Study report: " + about)) synthetic)
        add (sprintf "<p>%d runs: %s</p>" runs.Length (runs |> List.map (fun r -> Web.HttpUtility.HtmlEncode r.Manifest.RunId) |> String.concat ", "))
        add "<h2>Degradation</h2><div id=\"degradation\">"
        add (Tables.toHtml (Tables.degradation (sprintf "Accuracy on %s: score, Δ and Δ%% against full precision" dataset.Name) degradation)).Html
        add "</div><h2>Charts</h2><div class=\"charts\">"
        for c in charts do add (Charts.toHtmlFragment c)
        add "</div>"
        if not ablation.IsEmpty then
            add "<h2>Restoration</h2><div id=\"ablation\">"
            add (Tables.toHtml (Tables.ablation "Accuracy (%) after format alignment and DPO on each error-type subset" ablation)).Html
            add (Tables.toHtml (Tables.restoration "Restoration against FP and the quantized base, paired over problems" restoration)).Html
            add "</div>"
        add "<h2>Problems</h2><div class=\"filters\"><label>Level <select id=\"f-level\"><option value=\"\">all</option></select></label>"
        add "<label>Configuration <select id=\"f-config\"><option value=\"\">any</option></select></label>"
        add "<label>First error <select id=\"f-type\"><option value=\"\">any type</option></select></label>"
        add "<label><input type=\"checkbox\" id=\"f-wrong\" checked> only problems some configuration gets wrong</label> <span id=\"count\"></span></div>"
        add "<div id=\"problems\"></div><button id=\"more\">show more</button>"
        add (sprintf "<script type=\"application/json\" id=\"qr-data\">%s</script>" (json (browserData outDir runs)))
        add script
        Directory.CreateDirectory outDir |> ignore
        let index = Path.Combine(outDir, "index.html")
        let page = Charts.page ("Study report: " + about) (style + "\n" + body.ToString())
        File.WriteAllBytes(index, UTF8Encoding(false).GetBytes page)
        index
