namespace QuantReason.Analysis.Tests

open System.IO
open System.Text.Json
open Xunit
open QuantReason.Analysis
open QuantReason.Analysis.Tests.Chromium

/// Every notebook in notebooks/ runs headlessly with no failing cell, opens with its question, ends with its
/// figure, and its HTML export draws the charts (checked in chromium when it is present).
type NotebooksTests(fixture: ExporterFixture) =

    static member Notebooks: TheoryData<string> =
        let data = TheoryData<string>()
        match Paths.repoRoot () with
        | Some root when Directory.Exists(Path.Combine(root, "notebooks")) ->
            for f in Directory.GetFiles(Path.Combine(root, "notebooks"), "*.ipynb") |> Array.sort do
                data.Add(Path.GetFileName f)
        | _ -> ()
        data

    interface IClassFixture<ExporterFixture>

    // Notebook 03 reads ProcessBench from the shared folder, so the theory needs it.
    [<Shared.SharedTheory; MemberData("Notebooks")>]
    member _.``notebook runs with no failing cell and ends with its figure``(name: string) =
        let path = Path.Combine((Paths.repoRoot ()).Value, "notebooks", name)
        let out = TestRuns.tempRoot ()
        let result = NotebookRunner.run (Some out) path
        let failure = result.Cells |> List.tryFind (fun c -> c.Failed)
        Assert.True(result.FailedCell.IsNone, sprintf "%s: %A" name failure)
        let cells = Notebook.cells (Notebook.load path)
        Assert.Equal("markdown", cells.Head.Kind)
        Assert.Contains("**Question.**", cells.Head.Source)
        match (List.last result.Cells).Outputs |> List.last with
        | Html h -> Assert.Contains("qr-figure", h)
        | other -> failwithf "%s does not end with a figure: %A" name other
        if name.StartsWith "05-" then
            // The notebook reports the inconsistent printed values (the list itself is tested in PublishedTests).
            let stdout = result.Cells |> List.collect (fun c -> c.Outputs) |> List.choose (function Stdout s -> Some s | _ -> None) |> String.concat ""
            Assert.Contains("15 of 24 printed values are inconsistent", stdout)
        use doc = JsonDocument.Parse(File.ReadAllText result.OutputNotebook)
        let codeCells = doc.RootElement.GetProperty("cells").EnumerateArray() |> Seq.filter (fun c -> c.GetProperty("cell_type").GetString() = "code")
        Assert.All(codeCells, fun c -> Assert.Equal(JsonValueKind.Number, c.GetProperty("execution_count").ValueKind))
        let figures = result.Cells |> List.sumBy (fun c -> c.Outputs |> List.filter (function Html h -> h.Contains "qr-figure" | _ -> false) |> List.length)
        match ChartExporter.UnavailableReason with
        | Some _ -> Assert.Contains("qr-figure", File.ReadAllText result.OutputHtml)
        | None ->
            let rendered = fixture.Exporter.RenderedSvgs result.OutputHtml
            Assert.Equal(figures, rendered.Length)
            Assert.All(rendered, fun svg -> Assert.Contains("main-svg", svg))
