module QuantReason.Analysis.Tests.NotebookRunnerTests

open System.IO
open System.Text.Json
open Xunit
open QuantReason.Analysis

let private write (cells: (string * string) list) =
    let dir = TestRuns.tempRoot ()
    let path = Path.Combine(dir, "probe.ipynb")
    Notebook.create cells |> Notebook.save path
    path

[<Fact>]
let ``runs cells in order capturing stdout, values and HTML`` () =
    let path =
        write
            [ "markdown", "# Probe\nWhat does the runner capture?"
              "code", "#r \"../src/QuantReason.Analysis/bin/Release/net10.0/QuantReason.Analysis.dll\"\nopen QuantReason.Analysis"
              "code", "let x = 20 + 1\nprintfn \"x is %d\" x"
              "code", "x * 2"
              "code", "Chart.stackedBar \"probe chart\" \"c\" \"%\" [ \"a\", [ \"k\", 1.0 ] ] |> Chart.display" ]
    let result = NotebookRunner.run None path
    Assert.Equal(None, result.FailedCell)
    let outputs = result.Cells |> List.map (fun c -> c.Outputs)
    Assert.Equal<CellOutput list>([ Stdout "x is 21\n" ], outputs.[1])
    Assert.Equal<CellOutput list>([ Value "42" ], outputs.[2])
    match outputs.[3] with
    | [ Html h ] -> Assert.Contains("probe chart", h)
    | other -> failwithf "expected one HTML output, got %A" other
    // Written back in the .ipynb convention.
    use doc = JsonDocument.Parse(File.ReadAllText result.OutputNotebook)
    let cells = doc.RootElement.GetProperty "cells"
    Assert.Equal("stream", cells.[2].GetProperty("outputs").[0].GetProperty("output_type").GetString())
    Assert.Equal(2, cells.[2].GetProperty("execution_count").GetInt32())
    Assert.True(cells.[4].GetProperty("outputs").[0].GetProperty("data").TryGetProperty("text/html") |> fst)
    Assert.Equal(".net-fsharp", doc.RootElement.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString())
    Assert.Contains("probe chart", File.ReadAllText result.OutputHtml)

[<Fact>]
let ``a failing cell stops the notebook and is recorded as an error`` () =
    let path =
        write
            [ "code", "let y = 1"
              "code", "let z: int = \"not an int\""
              "code", "printfn \"never\"" ]
    let result = NotebookRunner.run None path
    Assert.Equal(Some 1, result.FailedCell)
    Assert.Equal(2, result.Cells.Length)
    match result.Cells.[1].Outputs with
    | [ Error(name, message) ] ->
        Assert.Equal("CompilationError", name)
        Assert.Contains("FS0001", message)
    | other -> failwithf "expected a compilation error, got %A" other
    let runtime = write [ "code", "let boom () : int = failwith \"boom\"\nboom ()" ]
    let r = NotebookRunner.run None runtime
    Assert.Equal(Some 0, r.FailedCell)
    Assert.True((sprintf "%A" r.Cells.[0].Outputs).Contains "boom", sprintf "%A" r.Cells.[0].Outputs)

[<Fact>]
let ``the Analysis reference points at the running assembly and kernel magics are dropped`` () =
    let rewritten = NotebookRunner.rewriteReferences "#!fsharp\n#r \"../src/QuantReason.Analysis/bin/Release/net10.0/QuantReason.Analysis.dll\"\nlet x = 1"
    Assert.DoesNotContain("#!fsharp", rewritten)
    Assert.Contains(typeof<HtmlOutput>.Assembly.Location, rewritten)
    Assert.Contains("let x = 1", rewritten)
