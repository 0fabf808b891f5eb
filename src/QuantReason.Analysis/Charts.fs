namespace QuantReason.Analysis

open System
open System.IO
open System.Text
open Plotly.NET
open Plotly.NET.LayoutObjects
open DynamicObj

/// The studies' chart shapes built with Plotly.NET: fixed colours per series, explicit trace uids (plotly otherwise
/// draws random ones into the SVG), sizes for a two-column paper (one column ≈ 3.4 in), CSS pixels.
module Charts =

    /// Twelve distinct colour-blind-safe colours (Okabe–Ito, then Tol's muted), so ten configurations never share one.
    let palette =
        [| "#0072B2"; "#E69F00"; "#009E73"; "#D55E00"; "#CC79A7"; "#56B4E9"; "#000000"; "#882255"; "#999933"
           "#332288"; "#44AA99"; "#F0E442" |]

    let colour (index: int) = palette.[index % palette.Length]

    let private rgba (hex: string) (alpha: float) =
        let c i = Convert.ToInt32(hex.Substring(i, 2), 16)
        sprintf "rgba(%d,%d,%d,%s)" (c 1) (c 3) (c 5) (alpha.ToString("0.##", Globalization.CultureInfo.InvariantCulture))

    let fontFamily = "Arial, Helvetica, sans-serif"
    let columnWidth = 500
    let columnHeight = 340

    /// Gives every trace a uid from its position, so the same chart always draws the same SVG.
    let private withUids (chart: GenericChart) =
        let mutable i = 0
        chart
        |> GenericChart.mapTrace (fun t ->
            t.SetProperty("uid", sprintf "t%d" i)
            i <- i + 1
            t)

    let private axis (title: string) =
        let a =
            LinearAxis.init (
                Title = Title.init (Text = title, Font = Font.init (Size = 10)),
                ShowLine = true,
                LineColor = Color.fromHex "#000000",
                Ticks = StyleParam.TickOptions.Outside,
                GridColor = Color.fromHex "#e5e5e5"
            )
        // Long category labels tilt; automargin keeps them clear of the axis title.
        a.SetProperty("automargin", true)
        a

    let private range (lo: float) (hi: float) = StyleParam.Range.MinMax(lo :> IConvertible, hi :> IConvertible)

    /// Title, fonts, margins, white background, axis titles and size: the look shared by every figure.
    let private style (title: string) (xTitle: string) (yTitle: string) (width: int) (height: int) (chart: GenericChart) =
        chart
        |> withUids
        |> Chart.withTitle (Title.init (Text = title, Font = Font.init (Size = 12)))
        |> Chart.withXAxis (axis xTitle)
        |> Chart.withYAxis (axis yTitle)
        |> Chart.withSize (width, height)
        |> Chart.withMargin (Margin.init (Left = 55, Right = 15, Top = 40, Bottom = 50))
        |> Chart.withLayoutStyle (
            Font = Font.init (Family = StyleParam.FontFamily.Custom fontFamily, Size = 10, Color = Color.fromHex "#000000"),
            PaperBGColor = Color.fromHex "#ffffff",
            PlotBGColor = Color.fromHex "#ffffff"
        )
        |> Chart.withLegendStyle (Font = Font.init (Size = 9))

    /// Grouped bars with interval error bars: one colour per series, one bar per category.
    let groupedBar (title: string) (xTitle: string) (yTitle: string) (series: (string * (string * Estimate) list) list) =
        series
        |> List.mapi (fun i (name, points) ->
            let values = points |> List.map (fun (_, e) -> e.Value)
            let below = points |> List.map (fun (_, e) -> max 0.0 (e.Value - e.Lower))
            let above = points |> List.map (fun (_, e) -> max 0.0 (e.Upper - e.Value))
            let bar = Chart.Column(values = values, Keys = List.map fst points, Name = name, MarkerColor = Color.fromHex (colour i))
            // Exact values (no interval) get no error bars.
            if List.forall ((=) 0.0) (below @ above) then bar
            else bar |> Chart.withYErrorStyle (Symmetric = false, Array = above, Arrayminus = below, Thickness = 1.0, Width = 3))
        |> Chart.combine
        |> Chart.withLayoutStyle (BarMode = StyleParam.BarMode.Group)
        |> style title xTitle yTitle columnWidth columnHeight

    /// Stacked bars (e.g. error-type shares per configuration): one series per stacked segment.
    let stackedBar (title: string) (xTitle: string) (yTitle: string) (series: (string * (string * float) list) list) =
        series
        |> List.mapi (fun i (name, points) ->
            Chart.Column(values = List.map snd points, Keys = List.map fst points, Name = name, MarkerColor = Color.fromHex (colour i)))
        |> Chart.combine
        |> Chart.withLayoutStyle (BarMode = StyleParam.BarMode.Stack)
        |> style title xTitle yTitle columnWidth columnHeight

    /// Radar of relative capability: one closed polygon per series over the same axes.
    let radar (title: string) (series: (string * (string * float) list) list) =
        let top =
            series |> List.collect (snd >> List.map snd) |> List.filter Double.IsFinite |> function
            | [] -> 1.0
            | xs -> List.max xs
        series
        |> List.mapi (fun i (name, points) ->
            // Close the polygon by repeating the first axis.
            let closed = points @ List.truncate 1 points
            Chart.ScatterPolar(
                r = List.map snd closed,
                theta = List.map fst closed,
                mode = StyleParam.Mode.Lines,
                Name = name,
                LineColor = Color.fromHex (colour i)
            )
            |> GenericChart.mapTrace (fun t ->
                t.SetProperty("fill", "toself")
                t.SetProperty("fillcolor", rgba (colour i) 0.12)
                t))
        |> Chart.combine
        |> Chart.withPolar (Polar.init (RadialAxis = RadialAxis.init (Range = range 0.0 (max 1.1 (top * 1.05)))))
        |> style title "" "" columnWidth columnHeight

    /// A step line with its interval band drawn under it (survival, hazards), in series colour `i`.
    let private lineWithBand (i: int) (showLegend: bool) (name: string) (points: (float * Estimate) list) =
        let x = List.map fst points
        let c = colour i
        let edge (y: float list) (fill: bool) =
            Chart.Scatter(x = x, y = y, mode = StyleParam.Mode.Lines, Name = name + " band", ShowLegend = false)
            |> Chart.withLineStyle (Width = 0.0, Shape = StyleParam.Shape.Hv)
            |> GenericChart.mapTrace (fun t ->
                t.SetProperty("hoverinfo", "skip")
                if fill then
                    t.SetProperty("fill", "tonexty")
                    t.SetProperty("fillcolor", rgba c 0.2)
                t)
        [ edge (points |> List.map (fun (_, e) -> e.Lower)) false
          edge (points |> List.map (fun (_, e) -> e.Upper)) true
          Chart.Scatter(
              x = x,
              y = (points |> List.map (fun (_, e) -> e.Value)),
              mode = StyleParam.Mode.Lines_Markers,
              Name = name,
              ShowLegend = showLegend,
              MarkerColor = Color.fromHex c
          )
          |> Chart.withLineStyle (Color = Color.fromHex c, Width = 1.5, Shape = StyleParam.Shape.Hv) ]
        |> Chart.combine

    /// Lines with interval bands, all in one plot (a few series).
    let linesWithBands (title: string) (xTitle: string) (yTitle: string) (series: (string * (float * Estimate) list) list) =
        series
        |> List.mapi (fun i (name, points) -> lineWithBand i true name points)
        |> Chart.combine
        |> style title xTitle yTitle columnWidth columnHeight

    /// One small plot per series (with the first series repeated in grey as the reference in every plot), so ten
    /// overlapping curves stay legible; panels share the axes' ranges.
    let smallMultiples (title: string) (xTitle: string) (yTitle: string) (yRange: float * float) (series: (string * (float * Estimate) list) list) =
        let columns = min 3 (max 1 series.Length)
        let rows = (series.Length + columns - 1) / columns
        let reference = List.tryHead series
        let panels =
            series
            |> List.mapi (fun i (name, points) ->
                [ match reference with
                  | Some(refName, refPoints) when i > 0 ->
                      Chart.Scatter(
                          x = List.map fst refPoints,
                          y = (refPoints |> List.map (fun (_, e) -> e.Value)),
                          mode = StyleParam.Mode.Lines,
                          Name = refName,
                          ShowLegend = (i = 1)
                      )
                      |> Chart.withLineStyle (Color = Color.fromHex "#aaaaaa", Width = 1.0, Shape = StyleParam.Shape.Hv)
                  | _ -> ()
                  lineWithBand i false name points ]
                |> Chart.combine
                |> Chart.withYAxis (LinearAxis.init (Range = range (fst yRange) (snd yRange))))
        let grid =
            Chart.Grid(rows, columns, SubPlotTitles = (series |> List.map fst), YGap = 0.35) panels
            |> style title xTitle yTitle (Math.Max(columnWidth, 240 * columns)) (60 + 170 * rows)
        // Every panel gets the first panel's axis lines and ticks (the axis titles stay on the first panel).
        [ 2 .. series.Length ]
        |> List.fold
            (fun chart i ->
                chart
                |> Chart.withXAxis (axis "", Id = StyleParam.SubPlotId.XAxis i)
                |> Chart.withYAxis (axis "", Id = StyleParam.SubPlotId.YAxis i))
            grid

    /// A matrix of cells with their values printed: z.[row].[column], rows labelled by y (top to bottom), columns by x.
    let heatmap (title: string) (xTitle: string) (yTitle: string) (x: string list) (y: string list) (z: float list list) =
        Chart.Heatmap(zData = z, X = x, Y = y)
        |> GenericChart.mapTrace (fun t ->
            // plotly's Blues runs dark → light; reversed, larger values are darker.
            t.SetProperty("colorscale", "Blues")
            t.SetProperty("reversescale", true)
            t.SetProperty("texttemplate", "%{z:.1f}")
            t)
        |> style title xTitle yTitle 700 420
        // Rows read top to bottom in the order given.
        |> Chart.withYAxis (let a = axis yTitle in a.SetProperty("autorange", "reversed"); a)

    let withSize (width: int) (height: int) (chart: GenericChart) = chart |> Chart.withSize (width, height)

    let withYRange (lo: float) (hi: float) (chart: GenericChart) =
        chart |> Chart.withYAxis (LinearAxis.init (Range = range lo hi))

    /// The chart's layout size in CSS pixels (the figures set it; plotly's default otherwise).
    let size (chart: GenericChart) : int * int =
        let layout = GenericChart.getLayout chart
        let get key fallback =
            match layout.TryGetPropertyValue key with
            | Some(:? int as v) -> v
            | _ -> fallback
        get "width" 700, get "height" 500

    /// plotly.js as Plotly.NET embeds it (its `Full` reference), for offline pages and notebook outputs.
    let plotlyJs: Lazy<string> =
        lazy
            (let assembly = typeof<GenericChart>.Assembly
             let name =
                 assembly.GetManifestResourceNames()
                 |> Array.find (fun n -> n.StartsWith "Plotly.NET.plotly-" && n.EndsWith ".min.js")
             use stream = assembly.GetManifestResourceStream name
             use reader = new StreamReader(stream)
             reader.ReadToEnd())

    /// The chart as figure JSON `{data, layout, config}`.
    let toJson (chart: GenericChart) : string = GenericChart.toFigureJson chart

    /// A stable element id from the figure's content, so re-running a notebook gives the same output bytes.
    let private elementId (json: string) =
        let hash = Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes json)
        "qr-" + Convert.ToHexString(hash, 0, 6).ToLowerInvariant()

    /// A `<div>` + `<script>` that draws the chart with the page's plotly.js (see `plotlyScript`); `</` is escaped
    /// so the JSON cannot close the script.
    let toHtmlFragment (chart: GenericChart) : string =
        let json = toJson chart
        let id = elementId json
        let w, h = size chart
        String.concat
            ""
            [ sprintf "<div class=\"qr-figure\" id=\"%s\" style=\"width:%dpx;height:%dpx\"></div>\n" id w h
              "<script type=\"text/javascript\">(function(){\n"
              sprintf "var fig=%s;\n" (json.Replace("</", "<\\/"))
              sprintf "function draw(){Plotly.newPlot('%s',fig.data,fig.layout,{displaylogo:false,responsive:false});}\n" id
              // Outputs render in order, but a viewer may run this before the page's plotly.js has loaded.
              "(function wait(n){if(window.Plotly){draw();}else if(n>0){setTimeout(function(){wait(n-1);},50);}})(200);\n"
              "})();</script>" ]

    /// plotly.js in a script tag: a notebook shows it once (its setup cell), later chart outputs draw with it, and
    /// the saved notebook renders offline.
    let plotlyScript () : HtmlOutput =
        HtmlOutput("<script type=\"text/javascript\">" + plotlyJs.Value.Replace("</script", "<\\/script") + "</script>")

    /// The chart as notebook output (text/html in Polyglot Notebooks).
    let display (chart: GenericChart) : HtmlOutput = HtmlOutput(toHtmlFragment chart)

    /// A standalone page with plotly.js embedded and the given body.
    let page (title: string) (bodyHtml: string) : string =
        String.concat
            ""
            [ "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
              sprintf "<title>%s</title>\n" (Web.HttpUtility.HtmlEncode title)
              (plotlyScript ()).Html
              "\n</head><body>\n"
              bodyHtml
              "\n</body></html>\n" ]
