namespace QuantReason.Analysis

open System
open System.IO
open System.Text
open System.Text.RegularExpressions
open System.Web
open FSharp.Compiler.Interactive.Shell
open QuantReason

type CellResult =
    { Index: int
      Outputs: CellOutput list
      Failed: bool
      Seconds: float }

type NotebookResult =
    { Notebook: string
      Cells: CellResult list
      /// Index of the first failing cell; the cells after it are not run.
      FailedCell: int option
      OutputNotebook: string
      OutputHtml: string }

/// Runs .ipynb notebooks headlessly on FSharp.Compiler.Service: one FSI session per notebook, code cells in order,
/// stdout, values, HTML and errors written back into the notebook and into an HTML export.
module NotebookRunner =

    /// `#r "…/QuantReason.Analysis.dll"` (the path a notebook uses in VS Code) is pointed at the assembly this
    /// process already runs, so the notebook and the runner share one copy of the analysis layer.
    let private analysisReference = Regex("""^\s*#r\s+@?"[^"]*QuantReason\.Analysis\.dll"\s*$""", RegexOptions.Multiline)

    /// A `#!fsharp` / `#!f#` line that Polyglot writes at the top of a cell whose kernel differs from the
    /// notebook's default; it selects the language we run anyway, and FSI would reject it.
    let private kernelMagic = Regex(@"^\s*#!(fsharp|f#)\s*$", RegexOptions.Multiline ||| RegexOptions.IgnoreCase)

    let rewriteReferences (source: string) =
        let own = typeof<HtmlOutput>.Assembly.Location
        analysisReference.Replace(kernelMagic.Replace(source, ""), sprintf "#r @\"%s\"" own)

    /// Assemblies the notebook's code may see in signatures besides its own #r: the analysis layer's dependencies.
    let private hostReferences () =
        [ typeof<HtmlOutput>.Assembly
          typeof<QuantReasonException>.Assembly
          typeof<Microsoft.AspNetCore.Html.IHtmlContent>.Assembly
          typeof<MathNet.Numerics.Distributions.Normal>.Assembly ]
        |> List.map (fun a -> a.Location)
        |> List.filter (fun l -> not (String.IsNullOrEmpty l))
        |> List.distinct

    /// Captures Console output while a cell runs (notebook code prints with printfn).
    let private captured (f: unit -> 'a) : 'a * string * string =
        let out, err = Console.Out, Console.Error
        use o = new StringWriter()
        use e = new StringWriter()
        Console.SetOut o
        Console.SetError e
        try
            let r = f ()
            r, o.ToString(), e.ToString()
        finally
            Console.SetOut out
            Console.SetError err

    let private isHtml (value: obj) =
        not (isNull value)
        && value.GetType().GetInterfaces() |> Array.exists (fun i -> i.FullName = "Microsoft.AspNetCore.Html.IHtmlContent")

    let private htmlOf (value: obj) =
        match value with
        | :? HtmlOutput as h -> h.Html
        | v ->
            use w = new StringWriter()
            (v :?> Microsoft.AspNetCore.Html.IHtmlContent).WriteTo(w, Text.Encodings.Web.HtmlEncoder.Default)
            w.ToString()

    let private escape (s: string) = HttpUtility.HtmlEncode s

    /// The HTML export: prose rendered as preformatted Markdown source, code, and each cell's outputs, with plotly.js
    /// embedded once so the charts draw offline.
    let private exportHtml (title: string) (cells: NotebookCell list) (results: Map<int, CellOutput list>) =
        let body = StringBuilder()
        body.Append(sprintf "<h1>%s</h1>\n" (escape title)) |> ignore
        cells
        |> List.iteri (fun i c ->
            if c.Kind = "markdown" then
                body.Append(sprintf "<div class=\"markdown\"><pre>%s</pre></div>\n" (escape c.Source)) |> ignore
            elif c.Kind = "code" then
                body.Append(sprintf "<div class=\"code\"><pre><code>%s</code></pre></div>\n" (escape c.Source)) |> ignore
                for o in results |> Map.tryFind i |> Option.defaultValue [] do
                    match o with
                    | Stdout t -> body.Append(sprintf "<pre class=\"stdout\">%s</pre>\n" (escape t)) |> ignore
                    | Stderr t -> body.Append(sprintf "<pre class=\"stderr\">%s</pre>\n" (escape t)) |> ignore
                    | Value t -> body.Append(sprintf "<pre class=\"value\">%s</pre>\n" (escape t)) |> ignore
                    | Html h -> body.Append(sprintf "<div class=\"html\">%s</div>\n" h) |> ignore
                    | Error(n, m) -> body.Append(sprintf "<pre class=\"error\">%s: %s</pre>\n" (escape n) (escape m)) |> ignore)
        let style =
            "<style>body{font-family:Arial,sans-serif;max-width:960px;margin:auto}pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}"
            + ".error{color:#b00}.markdown pre{background:none;font-family:inherit}</style>\n"
        match Paths.plotlyJs () with
        | Some plotly -> Chart.page plotly title (style + body.ToString())
        | None ->
            // Without the local plotly.js the fragments fall back to the pinned CDN copy.
            sprintf "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head><body>\n%s%s\n</body></html>\n"
                (escape title) style (body.ToString())

    /// Cells print through the process-wide Console, so two notebooks running at once would capture each other's
    /// output: runs in one process take turns.
    let private consoleLock = obj ()

    let private runAlone (outDir: string option) (notebookPath: string) : NotebookResult =
        let path = Path.GetFullPath notebookPath
        let notebook = Notebook.load path
        let cells = Notebook.cells notebook
        let name = Path.GetFileNameWithoutExtension path
        cells
        |> List.iteri (fun i c ->
            if c.Kind = "code" && c.Language <> "fsharp" then
                raise (QuantReasonException(sprintf "cell %d is %s; the runner executes F# cells only" (i + 1) c.Language, path)))
        let config = FsiEvaluationSession.GetDefaultConfiguration()
        let argv =
            [| yield "fsi.exe"
               yield "--noninteractive"
               yield "--nologo"
               yield "--gui-"
               yield "--quiet"
               for r in hostReferences () do
                   yield "-r:" + r |]
        use fsiOut = new StringWriter()
        use fsiErr = new StringWriter()
        use session = FsiEvaluationSession.Create(config, argv, new StringReader(""), fsiOut, fsiErr, collectible = false)
        let scriptName i = Path.Combine(Path.GetDirectoryName path, sprintf "%s.cell%d.fsx" name (i + 1))
        let mutable failed: int option = None
        let results =
            [ for i, c in List.indexed cells do
                  if c.Kind = "code" && failed.IsNone then
                      let clock = Diagnostics.Stopwatch.StartNew()
                      let (choice, diagnostics), stdout, stderr =
                          captured (fun () -> session.EvalInteractionNonThrowing(rewriteReferences c.Source, scriptName i))
                      let outputs =
                          [ if stdout <> "" then yield Stdout stdout
                            if stderr <> "" then yield Stderr stderr
                            match choice with
                            | Choice1Of2(Some v) when isHtml v.ReflectionValue -> yield Html(htmlOf v.ReflectionValue)
                            | Choice1Of2(Some v) when v.ReflectionType <> typeof<unit> && not (isNull v.ReflectionValue) ->
                                yield Value(session.FormatValue(v.ReflectionValue, v.ReflectionType))
                            | Choice1Of2 _ -> ()
                            | Choice2Of2 ex ->
                                let errors =
                                    diagnostics
                                    |> Array.filter (fun d -> d.Severity = FSharp.Compiler.Diagnostics.FSharpDiagnosticSeverity.Error)
                                    |> Array.map (fun d -> sprintf "(%d,%d): error FS%04d: %s" d.StartLine d.StartColumn d.ErrorNumber d.Message)
                                let inner = match ex.InnerException with null -> ex | e -> e
                                let message =
                                    if errors.Length > 0 then String.Join("\n", errors)
                                    else inner.GetType().Name + ": " + inner.Message
                                yield Error((if errors.Length > 0 then "CompilationError" else inner.GetType().Name), message) ]
                      let isFailure = outputs |> List.exists (function Error _ -> true | _ -> false)
                      if isFailure then failed <- Some i
                      yield { Index = i; Outputs = outputs; Failed = isFailure; Seconds = clock.Elapsed.TotalSeconds } ]
        let byIndex = results |> List.map (fun r -> r.Index, r.Outputs) |> Map.ofList
        let targetDir = defaultArg outDir (Path.GetDirectoryName path)
        Directory.CreateDirectory targetDir |> ignore
        let outNotebook = Path.Combine(targetDir, name + ".ipynb")
        let outHtml = Path.Combine(targetDir, name + ".html")
        Notebook.withOutputs byIndex notebook |> Notebook.save outNotebook
        File.WriteAllText(outHtml, exportHtml name cells byIndex)
        { Notebook = path; Cells = results; FailedCell = failed; OutputNotebook = outNotebook; OutputHtml = outHtml }

    /// Runs one notebook; writes `<out>/<name>.ipynb` (with outputs) and `<out>/<name>.html`. `outDir` None writes
    /// the outputs back into the notebook itself and the HTML beside it.
    let run (outDir: string option) (notebookPath: string) : NotebookResult =
        lock consoleLock (fun () -> runAlone outDir notebookPath)

    /// The notebooks of a file or folder (*.ipynb in name order).
    let discover (fileOrFolder: string) : string list =
        let full = Path.GetFullPath fileOrFolder
        if File.Exists full then [ full ]
        elif Directory.Exists full then
            Directory.GetFiles(full, "*.ipynb") |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b)) |> List.ofArray
        else raise (QuantReasonException("no such notebook or folder", full))
