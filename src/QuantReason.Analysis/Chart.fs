namespace QuantReason.Analysis

open System
open System.IO
open System.Text
open System.Text.Encodings.Web
open System.Text.Json
open Microsoft.AspNetCore.Html

/// One plotly trace, in the few shapes the studies draw.
type Trace =
    /// Bars over categories, with optional asymmetric error bars (distance below and above the value).
    | Bar of name: string * categories: string list * values: float list * errors: (float list * float list) option
    /// A line over x with an optional interval band (lower, upper) drawn under it.
    | Line of name: string * x: float list * y: float list * band: (float list * float list) option
    /// A closed polygon over the radar's axes.
    | Polar of name: string * axes: string list * values: float list
    /// A matrix of cells: z.[row].[column], rows labelled by y, columns by x.
    | Heatmap of x: string list * y: string list * z: float list list

/// A figure sized for a two-column paper (one column ≈ 3.4 in); `Width`/`Height` in CSS pixels.
type Figure =
    { Title: string
      XTitle: string
      YTitle: string
      Traces: Trace list
      /// `group` or `stack` for bar charts.
      BarMode: string option
      YRange: (float * float) option
      Width: int
      Height: int }

/// Chart HTML that Polyglot Notebooks renders as HTML (it formats IHtmlContent as text/html) and that the headless
/// runner recognises the same way.
type HtmlOutput(html: string) =
    member _.Html = html
    override _.ToString() = html
    interface IHtmlContent with
        member _.WriteTo(writer: TextWriter, _encoder: HtmlEncoder) = writer.Write html

/// Builds plotly.js figure JSON from F# (deterministic: fixed key order, round-trip floats, explicit trace uids)
/// and renders it as HTML for notebooks.
module Chart =

    /// The version of plotly.js pinned in package.json; HTML outputs load it from the CDN only when the page has
    /// not already embedded it (VS Code); headless exports always embed the local file.
    let plotlyVersion = "3.7.0"

    /// Colour-blind-safe palette (Okabe–Ito), fixed so that series keep their colour across figures.
    let palette =
        [| "#0072B2"; "#E69F00"; "#009E73"; "#D55E00"; "#CC79A7"; "#56B4E9"; "#F0E442"; "#000000" |]

    let private rgba (hex: string) (alpha: float) =
        let c i = Convert.ToInt32(hex.Substring(i, 2), 16)
        sprintf "rgba(%d,%d,%d,%s)" (c 1) (c 3) (c 5) (alpha.ToString("0.##", Globalization.CultureInfo.InvariantCulture))

    let fontFamily = "Arial, Helvetica, sans-serif"
    let columnWidth = 500
    let columnHeight = 340

    let private empty =
        { Title = ""; XTitle = ""; YTitle = ""; Traces = []; BarMode = None; YRange = None
          Width = columnWidth; Height = columnHeight }

    /// Grouped bars with interval error bars: one series per name, one bar per category.
    let groupedBar (title: string) (xTitle: string) (yTitle: string) (series: (string * (string * Estimate) list) list) =
        { empty with
            Title = title; XTitle = xTitle; YTitle = yTitle; BarMode = Some "group"
            Traces =
              series
              |> List.map (fun (name, points) ->
                  let v = points |> List.map (fun (_, e) -> e.Value)
                  let lo = points |> List.map (fun (_, e) -> max 0.0 (e.Value - e.Lower))
                  let hi = points |> List.map (fun (_, e) -> max 0.0 (e.Upper - e.Value))
                  // Exact values (no interval) get no error bars.
                  let errors = if List.forall ((=) 0.0) (lo @ hi) then None else Some(lo, hi)
                  Bar(name, points |> List.map fst, v, errors)) }

    /// Stacked bars (e.g. error-type shares per configuration): one series per stacked segment.
    let stackedBar (title: string) (xTitle: string) (yTitle: string) (series: (string * (string * float) list) list) =
        { empty with
            Title = title; XTitle = xTitle; YTitle = yTitle; BarMode = Some "stack"
            Traces = series |> List.map (fun (name, points) -> Bar(name, List.map fst points, List.map snd points, None)) }

    /// Radar of relative capability: one polygon per series over the same axes.
    let radar (title: string) (series: (string * (string * float) list) list) =
        { empty with
            Title = title
            Traces = series |> List.map (fun (name, points) -> Polar(name, List.map fst points, List.map snd points)) }

    /// Lines with interval bands (survival curves, hazards).
    let linesWithBands (title: string) (xTitle: string) (yTitle: string) (series: (string * (float * Estimate) list) list) =
        { empty with
            Title = title; XTitle = xTitle; YTitle = yTitle
            Traces =
              series
              |> List.map (fun (name, points) ->
                  Line(
                      name,
                      points |> List.map fst,
                      points |> List.map (fun (_, e) -> e.Value),
                      Some(points |> List.map (fun (_, e) -> e.Lower), points |> List.map (fun (_, e) -> e.Upper))
                  )) }

    let heatmap (title: string) (xTitle: string) (yTitle: string) (x: string list) (y: string list) (z: float list list) =
        { empty with Title = title; XTitle = xTitle; YTitle = yTitle; Traces = [ Heatmap(x, y, z) ] }

    let withSize (width: int) (height: int) (fig: Figure) = { fig with Width = width; Height = height }
    let withYRange (lo: float) (hi: float) (fig: Figure) = { fig with YRange = Some(lo, hi) }

    // ---- JSON -------------------------------------------------------------------------------------------------

    let private num (w: Utf8JsonWriter) (x: float) =
        if Double.IsNaN x || Double.IsInfinity x then w.WriteNullValue() else w.WriteNumberValue(Math.Round(x, 10))

    let private nums (w: Utf8JsonWriter) (name: string) (xs: float list) =
        w.WriteStartArray name
        xs |> List.iter (num w)
        w.WriteEndArray()

    let private strs (w: Utf8JsonWriter) (name: string) (xs: string list) =
        w.WriteStartArray name
        xs |> List.iter w.WriteStringValue
        w.WriteEndArray()

    let private title (w: Utf8JsonWriter) (name: string) (text: string) (size: int) =
        w.WriteStartObject name
        w.WriteString("text", text)
        w.WriteStartObject "font"
        w.WriteNumber("size", size)
        w.WriteEndObject()
        w.WriteEndObject()

    let private writeTrace (w: Utf8JsonWriter) (index: int) (trace: Trace) =
        let colour = palette.[index % palette.Length]
        // Explicit uids: plotly otherwise draws random ones into the SVG's class names.
        let start (kind: string) (name: string) (uid: string) =
            w.WriteStartObject()
            w.WriteString("type", kind)
            w.WriteString("name", name)
            w.WriteString("uid", uid)
        match trace with
        | Bar(name, cats, values, errors) ->
            start "bar" name (sprintf "t%d" index)
            strs w "x" cats
            nums w "y" values
            w.WriteStartObject "marker"
            w.WriteString("color", colour)
            w.WriteEndObject()
            match errors with
            | Some(lo, hi) ->
                w.WriteStartObject "error_y"
                w.WriteString("type", "data")
                w.WriteBoolean("symmetric", false)
                nums w "array" hi
                nums w "arrayminus" lo
                w.WriteNumber("thickness", 1)
                w.WriteNumber("width", 3)
                w.WriteEndObject()
            | None -> ()
            w.WriteEndObject()
        | Line(name, x, y, band) ->
            match band with
            | Some(lo, hi) ->
                start "scatter" (name + " lower") (sprintf "t%d-lo" index)
                nums w "x" x
                nums w "y" lo
                w.WriteString("mode", "lines")
                w.WriteStartObject "line"
                w.WriteNumber("width", 0)
                w.WriteString("shape", "hv")
                w.WriteEndObject()
                w.WriteBoolean("showlegend", false)
                w.WriteString("hoverinfo", "skip")
                w.WriteEndObject()
                start "scatter" (name + " band") (sprintf "t%d-hi" index)
                nums w "x" x
                nums w "y" hi
                w.WriteString("mode", "lines")
                w.WriteStartObject "line"
                w.WriteNumber("width", 0)
                w.WriteString("shape", "hv")
                w.WriteEndObject()
                w.WriteString("fill", "tonexty")
                w.WriteString("fillcolor", rgba colour 0.2)
                w.WriteBoolean("showlegend", false)
                w.WriteString("hoverinfo", "skip")
                w.WriteEndObject()
            | None -> ()
            start "scatter" name (sprintf "t%d" index)
            nums w "x" x
            nums w "y" y
            w.WriteString("mode", "lines+markers")
            w.WriteStartObject "line"
            w.WriteString("color", colour)
            w.WriteNumber("width", 1.5)
            w.WriteString("shape", "hv")
            w.WriteEndObject()
            w.WriteStartObject "marker"
            w.WriteNumber("size", 4)
            w.WriteEndObject()
            w.WriteEndObject()
        | Polar(name, axes, values) ->
            start "scatterpolar" name (sprintf "t%d" index)
            // Close the polygon by repeating the first axis.
            strs w "theta" (axes @ List.truncate 1 axes)
            nums w "r" (values @ List.truncate 1 values)
            w.WriteString("fill", "toself")
            w.WriteString("fillcolor", rgba colour 0.12)
            w.WriteStartObject "line"
            w.WriteString("color", colour)
            w.WriteNumber("width", 1.5)
            w.WriteEndObject()
            w.WriteEndObject()
        | Heatmap(x, y, z) ->
            start "heatmap" "" (sprintf "t%d" index)
            strs w "x" x
            strs w "y" y
            w.WriteStartArray "z"
            for row in z do
                w.WriteStartArray()
                row |> List.iter (num w)
                w.WriteEndArray()
            w.WriteEndArray()
            w.WriteString("colorscale", "Blues")
            // plotly's Blues runs dark → light; reversed, larger shares are darker.
            w.WriteBoolean("reversescale", true)
            w.WriteString("texttemplate", "%{z:.1f}")
            w.WriteEndObject()

    let private writeFigure (w: Utf8JsonWriter) (fig: Figure) =
        w.WriteStartObject()
        w.WriteStartArray "data"
        fig.Traces |> List.iteri (writeTrace w)
        w.WriteEndArray()
        w.WriteStartObject "layout"
        title w "title" fig.Title 12
        w.WriteStartObject "font"
        w.WriteString("family", fontFamily)
        w.WriteNumber("size", 10)
        w.WriteString("color", "#000000")
        w.WriteEndObject()
        w.WriteNumber("width", fig.Width)
        w.WriteNumber("height", fig.Height)
        w.WriteStartObject "margin"
        w.WriteNumber("l", 55)
        w.WriteNumber("r", 15)
        w.WriteNumber("t", 40)
        w.WriteNumber("b", 50)
        w.WriteEndObject()
        w.WriteString("paper_bgcolor", "#ffffff")
        w.WriteString("plot_bgcolor", "#ffffff")
        fig.BarMode |> Option.iter (fun m -> w.WriteString("barmode", m))
        w.WriteStartObject "legend"
        w.WriteNumber("font_size", 9)
        w.WriteEndObject()
        let isPolar = fig.Traces |> List.exists (function Polar _ -> true | _ -> false)
        if isPolar then
            let top = fig.Traces |> List.collect (function Polar(_, _, v) -> v | _ -> []) |> List.filter Double.IsFinite
            w.WriteStartObject "polar"
            w.WriteStartObject "radialaxis"
            w.WriteStartArray "range"
            w.WriteNumberValue 0
            num w (max 1.1 (if top.IsEmpty then 1.0 else List.max top * 1.05))
            w.WriteEndArray()
            w.WriteEndObject()
            w.WriteEndObject()
        else
            w.WriteStartObject "xaxis"
            title w "title" fig.XTitle 10
            // Long category labels tilt; automargin keeps them clear of the axis title.
            w.WriteBoolean("automargin", true)
            w.WriteBoolean("showline", true)
            w.WriteString("linecolor", "#000000")
            w.WriteString("ticks", "outside")
            w.WriteEndObject()
            w.WriteStartObject "yaxis"
            title w "title" fig.YTitle 10
            w.WriteBoolean("automargin", true)
            w.WriteBoolean("showline", true)
            w.WriteString("linecolor", "#000000")
            w.WriteString("ticks", "outside")
            w.WriteString("gridcolor", "#e5e5e5")
            // Heatmap rows read top to bottom in the order given.
            if fig.Traces |> List.exists (function Heatmap _ -> true | _ -> false) then w.WriteString("autorange", "reversed")
            fig.YRange
            |> Option.iter (fun (lo, hi) ->
                w.WriteStartArray "range"
                num w lo
                num w hi
                w.WriteEndArray())
            w.WriteEndObject()
        w.WriteEndObject()
        w.WriteEndObject()

    /// The plotly figure `{data, layout}` as compact JSON.
    let toJson (fig: Figure) : string =
        use stream = new MemoryStream()
        (use w = new Utf8JsonWriter(stream, JsonWriterOptions(Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping))
         writeFigure w fig)
        Encoding.UTF8.GetString(stream.ToArray())

    // ---- HTML -------------------------------------------------------------------------------------------------

    /// A stable element id from the figure's content, so re-running a notebook gives the same output bytes.
    let private elementId (json: string) =
        let hash = Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes json)
        "qr-" + Convert.ToHexString(hash, 0, 6).ToLowerInvariant()

    /// A `<div>` + `<script>` fragment that draws the figure with whatever Plotly the page has, loading the pinned
    /// version from the CDN only when the page has none (VS Code); `</` is escaped so the JSON cannot close the script.
    let toHtmlFragment (fig: Figure) : string =
        let json = toJson fig
        let id = elementId json
        let safe = json.Replace("</", "<\\/")
        String.concat
            ""
            [ sprintf "<div class=\"qr-figure\" id=\"%s\" style=\"width:%dpx;height:%dpx\"></div>\n" id fig.Width fig.Height
              "<script type=\"text/javascript\">(function(){\n"
              sprintf "var fig=%s;\n" safe
              sprintf "function draw(){Plotly.newPlot('%s',fig.data,fig.layout,{displaylogo:false,responsive:false});}\n" id
              "if(window.Plotly){draw();}else{var s=document.createElement('script');"
              sprintf "s.src='https://cdn.plot.ly/plotly-%s.min.js';s.onload=draw;document.head.appendChild(s);}\n" plotlyVersion
              "})();</script>" ]

    /// The figure as notebook output: rendered as HTML by Polyglot Notebooks and by the headless runner.
    let display (fig: Figure) : HtmlOutput = HtmlOutput(toHtmlFragment fig)

    /// A standalone HTML page embedding plotly.js (read from `plotlyPath`) and the given fragments.
    let page (plotlyPath: string) (title: string) (bodyHtml: string) : string =
        let plotly = File.ReadAllText plotlyPath
        String.concat
            ""
            [ "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
              sprintf "<title>%s</title>\n" (HtmlEncoder.Default.Encode title)
              "<script type=\"text/javascript\">"
              plotly
              "</script>\n</head><body>\n"
              bodyHtml
              "\n</body></html>\n" ]
