namespace QuantReason.Analysis

open System
open System.IO
open System.Text.Json
open System.Text.Json.Nodes
open QuantReason

/// One output of a code cell, in the forms an .ipynb stores.
type CellOutput =
    | Stdout of text: string
    | Stderr of text: string
    | Value of text: string
    | Html of html: string
    | Error of name: string * message: string

type NotebookCell =
    { Kind: string
      /// Kernel language of a code cell (`fsharp` unless its metadata says otherwise).
      Language: string
      Source: string }

/// Reads and writes .ipynb files in the Polyglot Notebooks convention (kernelspec `.net-fsharp`, cell metadata
/// `dotnet_interactive.language` / `polyglot_notebook.kernelName`), keeping every field it does not own.
module Notebook =

    let private sourceText (node: JsonNode) =
        match node with
        | null -> ""
        | :? JsonArray as a -> a |> Seq.map (fun s -> s.GetValue<string>()) |> String.concat ""
        | v -> v.GetValue<string>()

    /// .ipynb stores multi-line text as a list of lines, each but the last ending in "\n".
    let lines (text: string) : JsonArray =
        let parts = text.Split('\n')
        let arr = JsonArray()
        parts
        |> Array.iteri (fun i p ->
            if i < parts.Length - 1 then arr.Add(JsonValue.Create(p + "\n"))
            elif p <> "" then arr.Add(JsonValue.Create p))
        arr

    let private language (cell: JsonNode) =
        let meta = cell.["metadata"]
        let tryGet (path: string list) =
            path
            |> List.fold (fun (n: JsonNode) k -> if isNull n then null else n.[k]) meta
            |> function
                | null -> None
                | n -> Some(n.GetValue<string>())
        tryGet [ "polyglot_notebook"; "kernelName" ]
        |> Option.orElse (tryGet [ "dotnet_interactive"; "language" ])
        |> Option.defaultValue "fsharp"

    let load (path: string) : JsonObject =
        let full = Path.GetFullPath path
        if not (File.Exists full) then raise (QuantReasonException("notebook not found", full))
        let node =
            try JsonNode.Parse(File.ReadAllText full)
            with :? JsonException as ex -> raise (QuantReasonException(sprintf "invalid notebook JSON: %s" ex.Message, full))
        match node with
        | :? JsonObject as o when (o.["cells"] :? JsonArray) -> o
        | _ -> raise (QuantReasonException("not a notebook: no 'cells' array", full))

    let cells (notebook: JsonObject) : NotebookCell list =
        notebook.["cells"].AsArray()
        |> Seq.map (fun c ->
            { Kind = c.["cell_type"].GetValue<string>()
              Language = (if c.["cell_type"].GetValue<string>() = "code" then language c else "markdown")
              Source = sourceText c.["source"] })
        |> List.ofSeq

    let private options = JsonSerializerOptions(WriteIndented = true, Encoder = Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)

    let save (path: string) (notebook: JsonObject) =
        File.WriteAllText(path, notebook.ToJsonString(options).Replace("\r\n", "\n") + "\n")

    /// A new Polyglot notebook from (kind, source) cells; code cells are F#.
    let create (cellSources: (string * string) list) : JsonObject =
        let nb = JsonObject()
        let cellsArr = JsonArray()
        for kind, source in cellSources do
            let c = JsonObject()
            c.["cell_type"] <- JsonValue.Create kind
            let meta = JsonObject()
            if kind = "code" then
                let di = JsonObject()
                di.["language"] <- JsonValue.Create "fsharp"
                meta.["dotnet_interactive"] <- di
                let pn = JsonObject()
                pn.["kernelName"] <- JsonValue.Create "fsharp"
                meta.["polyglot_notebook"] <- pn
                c.["execution_count"] <- null
            c.["metadata"] <- meta
            if kind = "code" then c.["outputs"] <- JsonArray()
            c.["source"] <- lines source
            cellsArr.Add c
        nb.["cells"] <- cellsArr
        nb.["metadata"] <-
            JsonNode.Parse
                """{"kernelspec": {"display_name": ".NET (F#)", "language": "F#", "name": ".net-fsharp"},
                    "language_info": {"file_extension": ".fs", "mimetype": "text/x-fsharp", "name": "F#", "pygments_lexer": "fsharp", "version": "10.0"},
                    "polyglot_notebook": {"kernelInfo": {"defaultKernelName": "fsharp", "items": [{"aliases": [], "languageName": "fsharp", "name": "fsharp"}]}}}"""
        nb.["nbformat"] <- JsonValue.Create 4
        nb.["nbformat_minor"] <- JsonValue.Create 2
        nb
