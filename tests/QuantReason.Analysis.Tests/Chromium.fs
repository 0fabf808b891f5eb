/// Chart-export and browser tests need Debian's chromium; they skip, naming the reason, when it is absent.
module QuantReason.Analysis.Tests.Chromium

open System
open System.IO
open Microsoft.Playwright
open Xunit
open Xunit.Sdk
open QuantReason.Analysis

let skipReason () = ChartExporter.UnavailableReason |> Option.map (fun r -> "needs chromium: " + r)

/// A fact that skips without chromium, saying so in its name.
[<XunitTestCaseDiscoverer("QuantReason.Analysis.Tests.SkipReason+ReasonInNameDiscoverer", "QuantReason.Analysis.Tests")>]
type ChromiumFactAttribute() as this =
    inherit FactAttribute()
    do skipReason () |> Option.iter (fun r -> this.Skip <- r)

/// One exporter per test class (xunit class fixture), created lazily so skipped classes start nothing.
type ExporterFixture() =
    let exporter = lazy (ChartExporter.Create())
    member _.Exporter = exporter.Value

let private sync (t: Threading.Tasks.Task<'a>) = t.GetAwaiter().GetResult()

/// Headless Debian chromium driven by Playwright (no browser download), for what a reader sees in a page.
type BrowserFixture() =
    let started =
        lazy
            (let pw = Playwright.CreateAsync() |> sync
             let options =
                 BrowserTypeLaunchOptions(
                     ExecutablePath = ChartExporter.ChromiumPath.Value,
                     Headless = true,
                     Args = [| "--no-sandbox"; "--disable-gpu"; "--disable-dev-shm-usage" |]
                 )
             pw, pw.Chromium.LaunchAsync(options) |> sync)

    member _.Browser: IBrowser = snd started.Value

    /// Opens a file and returns the inner HTML of every drawn plotly chart (`.qr-figure` holding an SVG).
    member this.RenderedSvgs(htmlPath: string) : string list =
        let page = this.Browser.NewPageAsync() |> sync
        try
            page.GotoAsync(Uri(Path.GetFullPath htmlPath).AbsoluteUri) |> sync |> ignore
            page.WaitForFunctionAsync("() => Array.from(document.querySelectorAll('.qr-figure')).every(d => d.querySelector('svg.main-svg'))")
            |> sync
            |> ignore
            page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('.qr-figure')).map(d => d.innerHTML)")
            |> sync
            |> List.ofArray
        finally
            page.CloseAsync().GetAwaiter().GetResult()

    interface IDisposable with
        member _.Dispose() =
            if started.IsValueCreated then
                let pw, browser = started.Value
                (try browser.CloseAsync().GetAwaiter().GetResult() with _ -> ())
                pw.Dispose()
