namespace QuantReason.Analysis.Tests

open System.IO
open System.Text.Json
open Xunit
open QuantReason.Analysis
open QuantReason.Analysis.Tests.Chromium

/// Every notebook in notebooks/ runs headlessly in the Polyglot kernel with no failing cell, opens with its question,
/// ends with its figure, and its HTML export draws every chart offline (checked in chromium when present).
type NotebooksTests(browser: BrowserFixture) =

    static member Notebooks: TheoryData<string> =
        let data = TheoryData<string>()
        match Paths.repoRoot () with
        | Some root when Directory.Exists(Path.Combine(root, "notebooks")) ->
            for f in Directory.GetFiles(Path.Combine(root, "notebooks"), "*.ipynb") |> Array.sort do
                data.Add(Path.GetFileName f)
        | _ -> ()
        data

    interface IClassFixture<BrowserFixture>

    // Notebook 03 reads ProcessBench from the shared folder, so the theory needs it.
    [<Shared.SharedTheory; MemberData("Notebooks")>]
    member _.``notebook runs in the Polyglot kernel with no failing cell and ends with its figure``(name: string) =
        let path = Path.Combine((Paths.repoRoot ()).Value, "notebooks", name)
        let result = NotebookRunner.run (Some(TestRuns.tempRoot ())) path
        let errors = result.Outputs |> Map.toList |> List.collect (fun (i, os) -> os |> List.choose (function Error(n, m) -> Some(i, n, m) | _ -> None))
        Assert.True(result.FailedCell.IsNone && result.ExitCode = 0, sprintf "%s (exit %d): %A" name result.ExitCode errors)
        let cells = Notebook.cells (Notebook.load path)
        Assert.Equal("markdown", cells.Head.Kind)
        Assert.Contains("**Question.**", cells.Head.Source)
        let lastCode = cells |> List.indexed |> List.filter (fun (_, c) -> c.Kind = "code") |> List.last |> fst
        match result.Outputs.[lastCode] |> List.tryLast with
        | Some(Html h) -> Assert.Contains("qr-figure", h)
        | other -> failwithf "%s does not end with a figure: %A" name other
        if name.StartsWith "05-" then
            let stdout = result.Outputs |> Map.toList |> List.collect snd |> List.choose (function Stdout s -> Some s | _ -> None) |> String.concat ""
            Assert.Contains("15 of 24 printed values are inconsistent", stdout)
        use doc = JsonDocument.Parse(File.ReadAllText result.OutputNotebook)
        Assert.Equal(".net-fsharp", doc.RootElement.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString())
        let figures = result.Outputs |> Map.toList |> List.sumBy (fun (_, os) -> os |> List.filter (function Html h -> h.Contains "qr-figure" | _ -> false) |> List.length)
        let html = File.ReadAllText result.OutputHtml
        Assert.Contains("plotly.js v", html)
        match ChartExporter.UnavailableReason with
        | Some _ -> Assert.Contains("qr-figure", html)
        | None ->
            let rendered = browser.RenderedSvgs result.OutputHtml
            Assert.Equal(figures, rendered.Length)
            Assert.All(rendered, fun svg -> Assert.Contains("main-svg", svg))
