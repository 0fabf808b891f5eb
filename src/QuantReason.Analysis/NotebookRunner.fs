namespace QuantReason.Analysis

open System
open System.Diagnostics
open System.IO
open System.Text
open System.Text.Json
open System.Text.Json.Nodes
open System.Web
open QuantReason

type NotebookResult =
    { Notebook: string
      /// Outputs of each code cell by its index among all cells, as the kernel saved them.
      Outputs: Map<int, CellOutput list>
      /// Index of the first cell that failed (the kernel runs the later cells too; they fail with it).
      FailedCell: int option
      /// The kernel's exit code: 0 when every cell passed, 2 when one failed.
      ExitCode: int
      Seconds: float
      OutputNotebook: string
      OutputHtml: string }

/// Runs .ipynb notebooks headlessly in the Polyglot (.NET Interactive) F# kernel through the `dotnet-repl` tool
/// pinned in .config/dotnet-tools.json — the kernel an analyst gets in VS Code — and exports each executed notebook
/// as HTML with plotly.js embedded.
module NotebookRunner =

    /// `dotnet-repl`'s entry assembly, at the version the tool manifest pins, in the NuGet package folder where
    /// `dotnet tool restore` puts it: found from any working directory (tests run notebooks outside the repository).
    let replAssembly () : string =
        let root =
            match Paths.repoRoot () with
            | Some r -> r
            | None -> raise (QuantReasonException("repository root (Toolkit.sln) not found", "notebook run"))
        let manifest = Path.Combine(root, ".config", "dotnet-tools.json")
        if not (File.Exists manifest) then raise (QuantReasonException("tool manifest missing", manifest))
        let version =
            try (JsonNode.Parse(File.ReadAllText manifest).["tools"].["dotnet-repl"].["version"]).GetValue<string>()
            with ex -> raise (QuantReasonException(sprintf "no dotnet-repl version in the tool manifest (%s)" ex.Message, manifest))
        let packages =
            match Environment.GetEnvironmentVariable "NUGET_PACKAGES" with
            | s when not (String.IsNullOrEmpty s) -> s
            | _ -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
        let tools = Path.Combine(packages, "dotnet-repl", version, "tools")
        let dll =
            if Directory.Exists tools then Directory.GetFiles(tools, "dotnet-repl.dll", SearchOption.AllDirectories) |> Array.sort |> Array.tryLast
            else None
        match dll with
        | Some d -> d
        | None -> raise (QuantReasonException(sprintf "dotnet-repl %s is not installed: run `dotnet tool restore` in the repository" version, tools))

    let private text (node: JsonNode) =
        match node with
        | null -> ""
        | :? JsonArray as a -> a |> Seq.map (fun s -> s.GetValue<string>()) |> String.concat ""
        | v -> v.GetValue<string>()

    /// The outputs of one saved code cell.
    let private outputsOf (cell: JsonNode) : CellOutput list =
        match cell.["outputs"] with
        | :? JsonArray as outputs ->
            [ for o in outputs do
                  match text o.["output_type"] with
                  | "stream" ->
                      let t = text o.["text"]
                      if text o.["name"] = "stderr" then yield Stderr t else yield Stdout t
                  | "error" -> yield Error(text o.["ename"], text o.["evalue"])
                  | _ ->
                      let data = o.["data"]
                      if not (isNull data) then
                          let html = if isNull data.["text/html"] then None else Some(text data.["text/html"])
                          let plain = if isNull data.["text/plain"] then None else Some(text data.["text/plain"])
                          let plainInHtml = Text.RegularExpressions.Regex.Match(defaultArg html "", "^<div class=\"dni-plaintext\"><pre>(.*?)</pre></div>", Text.RegularExpressions.RegexOptions.Singleline)
                          match html, plain with
                          // The kernel shows a plain value as HTML (with a style sheet); the value is what the cell returned.
                          | Some _, Some p when plainInHtml.Success -> yield Value p
                          | Some _, None when plainInHtml.Success -> yield Value(HttpUtility.HtmlDecode plainInHtml.Groups.[1].Value)
                          | Some h, _ -> yield Html h
                          | None, Some p -> yield Value p
                          | None, None -> () ]
        | _ -> []

    let private escape (s: string) = HttpUtility.HtmlEncode s

    /// The HTML export: prose as preformatted Markdown source, code, and each cell's outputs; plotly.js embedded
    /// unless the notebook already put it on the page (its setup cell shows `Charts.plotlyScript ()`).
    let exportHtml (title: string) (cells: NotebookCell list) (outputs: Map<int, CellOutput list>) : string =
        let body = StringBuilder()
        body.Append(sprintf "<h1>%s</h1>\n" (escape title)) |> ignore
        cells
        |> List.iteri (fun i c ->
            if c.Kind = "markdown" then
                body.Append(sprintf "<div class=\"markdown\"><pre>%s</pre></div>\n" (escape c.Source)) |> ignore
            elif c.Kind = "code" then
                body.Append(sprintf "<div class=\"code\"><pre><code>%s</code></pre></div>\n" (escape c.Source)) |> ignore
                for o in outputs |> Map.tryFind i |> Option.defaultValue [] do
                    match o with
                    | Stdout t -> body.Append(sprintf "<pre class=\"stdout\">%s</pre>\n" (escape t)) |> ignore
                    | Stderr t -> body.Append(sprintf "<pre class=\"stderr\">%s</pre>\n" (escape t)) |> ignore
                    | Value t -> body.Append(sprintf "<pre class=\"value\">%s</pre>\n" (escape t)) |> ignore
                    | Html h -> body.Append(sprintf "<div class=\"html\">%s</div>\n" h) |> ignore
                    | Error(n, m) -> body.Append(sprintf "<pre class=\"error\">%s: %s</pre>\n" (escape n) (escape m)) |> ignore)
        let style =
            "<style>body{font-family:Arial,sans-serif;max-width:1000px;margin:auto}pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}"
            + ".error{color:#b00}.markdown pre{background:none;font-family:inherit}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style>\n"
        let hasPlotly =
            let marker = Charts.plotlyJs.Value.Substring(0, min 200 Charts.plotlyJs.Value.Length)
            outputs |> Map.exists (fun _ os -> os |> List.exists (function Html h -> h.Contains marker | _ -> false))
        if hasPlotly then
            sprintf "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n%s</head><body>\n%s\n</body></html>\n"
                (escape title) style (body.ToString())
        else Charts.page title (style + body.ToString())

    /// Runs one notebook in the kernel, from the notebook's folder (so its relative `#r` paths resolve as in VS Code);
    /// writes `<out>/<name>.ipynb` with the outputs and `<out>/<name>.html`. `outDir` None writes the outputs back
    /// into the notebook itself and the HTML beside it.
    let run (outDir: string option) (notebookPath: string) : NotebookResult =
        let path = Path.GetFullPath notebookPath
        let notebook = Notebook.load path
        let cells = Notebook.cells notebook
        cells
        |> List.iteri (fun i c ->
            if c.Kind = "code" && c.Language <> "fsharp" then
                raise (QuantReasonException(sprintf "cell %d is %s; notebooks here are F#" (i + 1) c.Language, path)))
        let name = Path.GetFileNameWithoutExtension path
        let targetDir = defaultArg outDir (Path.GetDirectoryName path) |> Path.GetFullPath
        Directory.CreateDirectory targetDir |> ignore
        let outNotebook = Path.Combine(targetDir, name + ".ipynb")
        let outHtml = Path.Combine(targetDir, name + ".html")
        let info = ProcessStartInfo("dotnet", WorkingDirectory = Path.GetDirectoryName path, RedirectStandardOutput = true, RedirectStandardError = true)
        // Without --default-kernel fsharp the tool rewrites the notebook's metadata to C#.
        for a in [ replAssembly (); "--run"; path; "--default-kernel"; "fsharp"; "--exit-after-run"; "--output-path"; outNotebook ] do
            info.ArgumentList.Add a
        info.Environment.["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
        info.Environment.["DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT"] <- "1"
        let clock = Stopwatch.StartNew()
        use proc = Process.Start info
        // Drain both pipes so a chatty kernel cannot block on a full one.
        let stdout = proc.StandardOutput.ReadToEndAsync()
        let stderr = proc.StandardError.ReadToEndAsync()
        proc.WaitForExit()
        let seconds = clock.Elapsed.TotalSeconds
        if not (File.Exists outNotebook) then
            let tail (s: string) = if s.Length > 2000 then s.Substring(s.Length - 2000) else s
            raise (QuantReasonException(sprintf "the kernel wrote no notebook (exit %d): %s%s" proc.ExitCode (tail stdout.Result) (tail stderr.Result), path))
        let executed = Notebook.load outNotebook
        let outputs =
            executed.["cells"].AsArray()
            |> Seq.indexed
            |> Seq.filter (fun (_, c) -> text c.["cell_type"] = "code")
            |> Seq.map (fun (i, c) -> i, outputsOf c)
            |> Map.ofSeq
        let failed =
            outputs
            |> Map.toList
            |> List.tryFind (fun (_, os) -> os |> List.exists (function Error _ -> true | _ -> false))
            |> Option.map fst
        File.WriteAllText(outHtml, exportHtml name cells outputs)
        { Notebook = path; Outputs = outputs; FailedCell = failed; ExitCode = proc.ExitCode; Seconds = seconds
          OutputNotebook = outNotebook; OutputHtml = outHtml }

    /// The notebooks of a file or folder (*.ipynb in name order).
    let discover (fileOrFolder: string) : string list =
        let full = Path.GetFullPath fileOrFolder
        if File.Exists full then [ full ]
        elif Directory.Exists full then
            Directory.GetFiles(full, "*.ipynb") |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b)) |> List.ofArray
        else raise (QuantReasonException("no such notebook or folder", full))
