namespace QuantReason.Analysis

open System
open System.IO
open System.Text.RegularExpressions
open Microsoft.Playwright
open QuantReason

/// Renders figures to SVG and PNG in Debian's chromium driven by Playwright (no browser download) with plotly.js
/// from npm's plotly.js-dist-min. One browser and one page serve every export: chromium's start-up (~1 s) is paid
/// once per exporter.
type ChartExporter private (playwright: IPlaywright, browser: IBrowser, page: IPage) =

    static let launchArgs =
        [| "--headless"; "--no-sandbox"; "--disable-gpu"; "--disable-background-networking"
           "--disable-component-update"; "--disable-sync" |]

    static let sync (t: Threading.Tasks.Task<'a>) = t.GetAwaiter().GetResult()
    static let syncUnit (t: Threading.Tasks.Task) = t.GetAwaiter().GetResult()

    /// `$QUANTREASON_CHROMIUM`, else Debian's /usr/bin/chromium (or chromium-browser).
    static member ChromiumPath: string option =
        match Environment.GetEnvironmentVariable "QUANTREASON_CHROMIUM" with
        | s when not (String.IsNullOrEmpty s) -> if File.Exists s then Some s else None
        | _ -> [ "/usr/bin/chromium"; "/usr/bin/chromium-browser" ] |> List.tryFind File.Exists

    /// Why exports cannot run here (chromium or plotly.js missing), or None when they can.
    static member UnavailableReason: string option =
        match ChartExporter.ChromiumPath, Paths.plotlyJs () with
        | None, _ -> Some "chromium not found at /usr/bin/chromium (apt-get install chromium, or set QUANTREASON_CHROMIUM)"
        | _, None -> Some "plotly.js not found (run `npm ci` at the repository root, or set QUANTREASON_PLOTLY_JS)"
        | _ -> None

    /// Starts chromium with plotly.js loaded into a blank page.
    static member Create() : ChartExporter =
        match ChartExporter.UnavailableReason with
        | Some reason -> raise (QuantReasonException(reason, "chart export"))
        | None ->
            let plotly = (Paths.plotlyJs ()).Value
            let pw = Playwright.CreateAsync() |> sync
            let options =
                BrowserTypeLaunchOptions(ExecutablePath = ChartExporter.ChromiumPath.Value, Headless = true, Args = launchArgs)
            let browser = pw.Chromium.LaunchAsync(options) |> sync
            let page = browser.NewPageAsync() |> sync
            page.SetContentAsync("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body></body></html>") |> syncUnit
            page.AddScriptTagAsync(PageAddScriptTagOptions(Path = plotly)) |> sync |> ignore
            new ChartExporter(pw, browser, page)

    member private _.Image(fig: Figure, format: string, scale: float) : string =
        let script =
            """async ([json, format, scale]) => {
                 const fig = JSON.parse(json);
                 const url = await Plotly.toImage(fig, {format: format, width: fig.layout.width, height: fig.layout.height, scale: scale});
                 const comma = url.indexOf(',');
                 return format === 'svg' ? decodeURIComponent(url.slice(comma + 1)) : url.slice(comma + 1);
               }"""
        page.EvaluateAsync<string>(script, [| box (Chart.toJson fig); box format; box scale |]) |> sync

    /// The figure as SVG text with plotly's random ids renamed in order of appearance, so the same figure always
    /// gives the same bytes.
    member this.Svg(fig: Figure) : string = this.Image(fig, "svg", 1.0) |> ChartExporter.NormaliseSvg

    /// The figure as PNG bytes at 2× (about 290 dpi at one column's width).
    member this.Png(fig: Figure) : byte[] = this.Image(fig, "png", 2.0) |> Convert.FromBase64String

    member this.WriteSvg(fig: Figure, path: string) = File.WriteAllText(path, this.Svg fig)
    member this.WritePng(fig: Figure, path: string) = File.WriteAllBytes(path, this.Png fig)

    /// Opens an HTML file in the exporter's browser and returns the text of every rendered plotly SVG in it (what a
    /// reader sees), after scripts have drawn them.
    member _.RenderedSvgs(htmlPath: string) : string list =
        let p = browser.NewPageAsync() |> sync
        try
            p.GotoAsync(Uri(Path.GetFullPath htmlPath).AbsoluteUri) |> sync |> ignore
            p.WaitForFunctionAsync("() => Array.from(document.querySelectorAll('.qr-figure')).every(d => d.querySelector('svg.main-svg'))")
            |> sync
            |> ignore
            p.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('.qr-figure')).map(d => d.innerHTML)")
            |> sync
            |> List.ofArray
        finally
            p.CloseAsync() |> syncUnit

    /// Sorts each tag's attributes by name: plotly sets them in a different order on its first and later draws
    /// in one page, and attribute order carries no meaning in XML.
    static member SortAttributes(svg: string) : string =
        Regex.Replace(svg, "<([A-Za-z][\\w:.\\-]*)((?:\\s+[^\\s=/>]+=\"[^\"]*\")*)\\s*(/?)>", fun m ->
            let attributes =
                Regex.Matches(m.Groups.[2].Value, "([^\\s=]+)=\"([^\"]*)\"")
                |> Seq.map (fun a -> a.Groups.[1].Value, a.Groups.[2].Value)
                |> Seq.sortWith (fun (a, _) (b, _) -> String.CompareOrdinal(a, b))
                |> Seq.map (fun (k, v) -> sprintf " %s=\"%s\"" k v)
                |> String.concat ""
            sprintf "<%s%s%s>" m.Groups.[1].Value attributes m.Groups.[3].Value)

    /// Makes plotly's SVG reproducible: attributes sorted within each tag, and every `id` (with its `#id`
    /// references) renamed to q0, q1, … in order of first appearance.
    static member NormaliseSvg(svg: string) : string =
        let svg = ChartExporter.SortAttributes svg
        let ids =
            Regex.Matches(svg, "\\bid=\"([^\"]+)\"")
            |> Seq.map (fun m -> m.Groups.[1].Value)
            |> Seq.distinct
            |> Seq.mapi (fun i id -> id, sprintf "q%d" i)
            |> dict
        if ids.Count = 0 then svg
        else
            Regex.Replace(svg, "(?<=\\bid=\"|#)([A-Za-z_][A-Za-z0-9_\\-]*)", fun m ->
                match ids.TryGetValue m.Value with
                | true, v -> v
                | _ -> m.Value)

    interface IDisposable with
        member _.Dispose() =
            try browser.CloseAsync() |> syncUnit with _ -> ()
            playwright.Dispose()
