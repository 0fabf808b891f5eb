namespace QuantReason.Analysis.Tests

open System
open System.IO
open Microsoft.Playwright
open Xunit
open Xunit.Abstractions
open QuantReason
open QuantReason.Analysis
open QuantReason.Analysis.Tests.Chromium

module ReportUnitTests =
    [<Fact>]
    let ``step-tag outputs split into their steps, others into paragraphs`` () =
        Assert.Equal<string list>([ "25+79=104"; "104-1=103" ], Report.steps "<|step_start|>25+79=104<|step_end|><|step_start|>104-1=103<|step_end|><|answer_start|>\\boxed{103}<|answer_end|>")
        Assert.Equal<string list>([ "First, 2+2=4."; "So the answer is 4." ], Report.steps "First, 2+2=4.\n\nSo the answer is 4.\n\n")

    [<Fact>]
    let ``a folder without runs is an error naming it and writes nothing`` () =
        let empty = TestRuns.tempRoot ()
        let out = Path.Combine(TestRuns.tempRoot (), "report")
        let ex = Assert.Throws<QuantReasonException>(fun () -> Report.write { Runs = [ empty ]; Out = out } |> ignore)
        Assert.Contains(empty, ex.Message)
        Assert.False(Directory.Exists out)

/// The report over the committed reference runs (data/runs/stepmath-demo), opened from disk in headless chromium.
type ReportTests(browser: BrowserFixture, output: ITestOutputHelper) =
    interface IClassFixture<BrowserFixture>

    [<ChromiumFact>]
    member _.``report opens offline with no console error, its table, a chart and a highlighted first error``() =
        let runs = Path.Combine((Paths.repoRoot ()).Value, "data", "runs", "stepmath-demo")
        let out = Path.Combine(TestRuns.tempRoot (), "report")
        let index = Report.write { Runs = [ runs ]; Out = out }
        let page = browser.Browser.NewPageAsync().GetAwaiter().GetResult()
        let errors = Collections.Concurrent.ConcurrentQueue<string>()
        page.Console.Add(fun m -> if m.Type = "error" then errors.Enqueue m.Text)
        page.PageError.Add(fun e -> errors.Enqueue e)
        // Offline: any request that leaves the disk is an error.
        page.RouteAsync("http*://**", fun route -> errors.Enqueue("network request: " + route.Request.Url); route.AbortAsync() |> ignore)
            .GetAwaiter().GetResult()
        |> ignore
        try
            page.GotoAsync(Uri(index).AbsoluteUri).GetAwaiter().GetResult() |> ignore
            page.WaitForSelectorAsync(".qr-figure svg.main-svg").GetAwaiter().GetResult() |> ignore
            // The degradation table: one row per configuration run (FP and every quantized one).
            let configurations = RunDirectory.loadAll runs |> List.filter (fun r -> r.Manifest.Training.IsNone) |> List.length
            let rows = page.Locator("#degradation table tbody tr").CountAsync().GetAwaiter().GetResult()
            Assert.Equal(configurations, rows)
            Assert.Contains("SmoothQuant W8A8", page.Locator("#degradation table").InnerTextAsync().GetAwaiter().GetResult())
            let charts = page.Locator(".qr-figure svg.main-svg").CountAsync().GetAwaiter().GetResult()
            Assert.True(charts >= 3, sprintf "%d charts drawn" charts)
            // The browser shows a first error highlighted at its step, with its type, on screen.
            let first = page.Locator(".first-error").First
            first.ScrollIntoViewIfNeededAsync().GetAwaiter().GetResult()
            Assert.True(first.IsVisibleAsync().GetAwaiter().GetResult())
            Assert.False(String.IsNullOrWhiteSpace(first.Locator(".etype").InnerTextAsync().GetAwaiter().GetResult()))
            // Filtering by an error type keeps only problems with a first error of that type.
            page.SelectOptionAsync("#f-type", "computational_error").GetAwaiter().GetResult() |> ignore
            let types = page.Locator(".first-error .etype").AllInnerTextsAsync().GetAwaiter().GetResult()
            Assert.Contains("computational_error", types)
            let screenshot = Path.Combine(AppContext.BaseDirectory, "report-screenshot.png")
            page.ScreenshotAsync(PageScreenshotOptions(Path = screenshot, FullPage = false)).GetAwaiter().GetResult() |> ignore
            output.WriteLine("screenshot: " + screenshot)
            Assert.True(FileInfo(screenshot).Length > 10000L)
            Assert.Empty(errors)
        finally
            page.CloseAsync().GetAwaiter().GetResult()
