namespace QuantReason.Analysis

open System
open System.IO
open System.Text.RegularExpressions
open Plotly.NET
open Plotly.NET.ImageExport
open QuantReason

/// Renders charts to SVG and PNG through Plotly.NET.ImageExport in Debian's chromium (never a downloaded browser),
/// with plotly.js embedded (the CDN reference would time out offline).
type ChartExporter private (chromium: string) =

    /// `$QUANTREASON_CHROMIUM`, else Debian's /usr/bin/chromium (or chromium-browser).
    static member ChromiumPath: string option =
        match Environment.GetEnvironmentVariable "QUANTREASON_CHROMIUM" with
        | s when not (String.IsNullOrEmpty s) -> if File.Exists s then Some s else None
        | _ -> [ "/usr/bin/chromium"; "/usr/bin/chromium-browser" ] |> List.tryFind File.Exists

    /// Why exports cannot run here, or None when they can.
    static member UnavailableReason: string option =
        match ChartExporter.ChromiumPath with
        | None -> Some "chromium not found at /usr/bin/chromium (apt-get install chromium, or set QUANTREASON_CHROMIUM)"
        | Some _ -> None

    static member Create() : ChartExporter =
        match ChartExporter.ChromiumPath with
        | None -> raise (QuantReasonException(ChartExporter.UnavailableReason.Value, "chart export"))
        | Some path ->
            PuppeteerSharpRendererOptions.localBrowserExecutablePath <- Some path
            // Root (CI, containers) cannot use chromium's sandbox.
            PuppeteerSharpRendererOptions.launchOptions.Args <- [| "--no-sandbox"; "--disable-gpu"; "--disable-dev-shm-usage" |]
            PuppeteerSharpRendererOptions.launchOptions.Headless <- true
            ChartExporter(path)

    member _.Chromium = chromium

    /// A copy with plotly.js embedded. ImageExport sets the layout's size and the config's `responsive` in place,
    /// so it gets fresh layout and config objects: the caller's chart keeps its size for the next export.
    static member private Offline(chart: GenericChart) =
        let copy =
            chart
            |> GenericChart.mapLayout (fun l ->
                let fresh = Layout()
                l.ShallowCopyDynamicPropertiesTo fresh
                fresh)
            |> GenericChart.mapConfig (fun c ->
                let fresh = Config()
                c.ShallowCopyDynamicPropertiesTo fresh
                fresh)
        copy |> Chart.withDisplayOptions (DisplayOptions.init (PlotlyJSReference = PlotlyJSReference.Full))

    /// The chart as SVG text, normalised (see NormaliseSvg) so the same chart always gives the same bytes.
    member _.Svg(chart: GenericChart) : string =
        let width, height = Charts.size chart
        ChartExporter.Offline chart |> Chart.toSVGString (Width = width, Height = height) |> ChartExporter.NormaliseSvg

    /// The chart as PNG bytes at its layout size (ImageExport renders at scale 1).
    member _.Png(chart: GenericChart) : byte[] =
        let width, height = Charts.size chart
        let base64 = ChartExporter.Offline chart |> Chart.toBase64PNGString (Width = width, Height = height)
        Convert.FromBase64String(base64.Substring(base64.IndexOf(',') + 1))

    member this.WriteSvg(chart: GenericChart, path: string) = File.WriteAllText(path, this.Svg chart)
    member this.WritePng(chart: GenericChart, path: string) = File.WriteAllBytes(path, this.Png chart)

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
