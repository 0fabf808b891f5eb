module QuantReason.Analysis.Tests.NotebookRunnerTests

open System.IO
open System.Text.Json
open Xunit
open QuantReason.Analysis

/// The analysis layer's own bin folder (same configuration as this test build): notebooks reference it by path, as
/// the repository's notebooks do; the test's bin holds a second FSharp.Core that the kernel must not see.
let analysisBin () =
    let config = if typeof<HtmlOutput>.Assembly.Location.Contains "/bin/Debug/" then "Debug" else "Release"
    Path.Combine((Paths.repoRoot ()).Value, "src", "QuantReason.Analysis", "bin", config, "net10.0")

let references () =
    [ "QuantReason.Analysis"; "QuantReason.Core"; "Plotly.NET"; "Deedle" ]
    |> List.map (fun n -> sprintf "#r \"%s\"" (Path.Combine(analysisBin (), n + ".dll")))
    |> String.concat "\n"

let private write (cells: (string * string) list) =
    let path = Path.Combine(TestRuns.tempRoot (), "probe.ipynb")
    Notebook.create cells |> Notebook.save path
    path

[<Fact>]
let ``the Polyglot kernel runs the cells and its outputs come back with an HTML export`` () =
    let path =
        write
            [ "markdown", "# Probe\nWhat does the kernel capture?"
              "code", references () + "\nopen QuantReason.Analysis"
              "code", "let x = 20 + 1\nprintfn \"x is %d\" x"
              "code", "x * 2"
              "code", "Charts.stackedBar \"probe chart\" \"c\" \"%\" [ \"a\", [ \"k\", 1.0 ] ] |> Charts.display" ]
    let out = TestRuns.tempRoot ()
    let result = NotebookRunner.run (Some out) path
    Assert.Equal(None, result.FailedCell)
    Assert.Equal(0, result.ExitCode)
    Assert.Equal<CellOutput list>([ Stdout "x is 21\n" ], result.Outputs.[2])
    match result.Outputs.[3] with
    | [ Value v ] -> Assert.Equal("42", v.Trim())
    | other -> failwithf "expected the value 42, got %A" other
    match result.Outputs.[4] with
    | [ Html h ] -> Assert.Contains("probe chart", h)
    | other -> failwithf "expected one HTML output, got %A" other
    // The kernel saved the notebook in the Polyglot convention (still F#), and the export embeds plotly.js.
    use doc = JsonDocument.Parse(File.ReadAllText result.OutputNotebook)
    Assert.Equal(".net-fsharp", doc.RootElement.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString())
    let html = File.ReadAllText result.OutputHtml
    Assert.Contains("probe chart", html)
    Assert.Contains("plotly.js v", html)
    // The source notebook is left as it was.
    Assert.DoesNotContain("x is 21", File.ReadAllText path)

[<Fact>]
let ``a failing cell is reported with its index, the kernel's error and exit code 2`` () =
    let path =
        write
            [ "code", "let y = 1"
              "code", "let z: int = \"not an int\""
              "code", "printfn \"after\"" ]
    let result = NotebookRunner.run (Some(TestRuns.tempRoot ())) path
    Assert.Equal(Some 1, result.FailedCell)
    Assert.Equal(2, result.ExitCode)
    match result.Outputs.[1] |> List.tryPick (function Error(_, m) -> Some m | _ -> None) with
    | Some message -> Assert.Contains("int", message)
    | None -> failwithf "no error output: %A" result.Outputs.[1]

[<Fact>]
let ``a notebook in another language is refused before the kernel starts`` () =
    let path = write [ "code", "let y = 1" ]
    File.WriteAllText(path, File.ReadAllText(path).Replace("\"kernelName\": \"fsharp\"", "\"kernelName\": \"csharp\""))
    let ex = Assert.Throws<QuantReason.QuantReasonException>(fun () -> NotebookRunner.run None path |> ignore)
    Assert.Contains("csharp", ex.Message)
