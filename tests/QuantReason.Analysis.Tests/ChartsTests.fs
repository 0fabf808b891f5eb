module QuantReason.Analysis.Tests.ChartsTests

open System.Text.Json
open Xunit
open QuantReason.Analysis

let private est v lo hi = { Value = v; Lower = lo; Upper = hi; Level = 0.95 }

let sampleBar () =
    Charts.groupedBar "MATH-500 accuracy" "configuration" "accuracy (%)"
        [ "Llama-1B", [ "FP", est 21.0 17.0 25.0; "GPTQ W4A16", est 14.9 12.0 18.0 ]
          "Llama-3B", [ "FP", est 37.4 33.0 42.0; "GPTQ W4A16", est 31.4 27.0 36.0 ] ]

let private parse chart = JsonDocument.Parse(Charts.toJson chart)

[<Fact>]
let ``figure JSON carries traces, titles, colours and error bars`` () =
    use doc = parse (sampleBar ())
    let data = doc.RootElement.GetProperty "data"
    Assert.Equal(2, data.GetArrayLength())
    Assert.Equal("bar", data.[0].GetProperty("type").GetString())
    Assert.Equal(4.0, data.[0].GetProperty("error_y").GetProperty("arrayminus").[0].GetDouble(), 9) // 21 − 17
    Assert.Equal(4.0, data.[0].GetProperty("error_y").GetProperty("array").[0].GetDouble(), 9) // 25 − 21
    Assert.NotEqual<string>(data.[0].GetProperty("marker").GetProperty("color").GetString(), data.[1].GetProperty("marker").GetProperty("color").GetString())
    Assert.Equal("t0", data.[0].GetProperty("uid").GetString())
    Assert.Equal("t1", data.[1].GetProperty("uid").GetString())
    let layout = doc.RootElement.GetProperty "layout"
    Assert.Equal("MATH-500 accuracy", layout.GetProperty("title").GetProperty("text").GetString())
    Assert.Equal("accuracy (%)", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString())
    Assert.Equal("group", layout.GetProperty("barmode").GetString())
    Assert.Equal((Charts.columnWidth, Charts.columnHeight), Charts.size (sampleBar ()))

[<Fact>]
let ``radar closes its polygons and bands come before their line`` () =
    let radar = Charts.radar "capability" [ "GPTQ W4A16", [ "Algebra", 0.8; "Geometry", 0.6; "Number Theory", 0.9 ] ]
    use r = parse radar
    let theta = r.RootElement.GetProperty("data").[0].GetProperty("theta")
    Assert.Equal(4, theta.GetArrayLength())
    Assert.Equal("Algebra", theta.[3].GetString())
    let lines = Charts.linesWithBands "survival" "step" "S(k)" [ "gsm8k", [ 0.0, est 0.9 0.85 0.93; 1.0, est 0.7 0.65 0.75 ] ]
    use l = parse lines
    let data = l.RootElement.GetProperty "data"
    Assert.Equal(3, data.GetArrayLength())
    Assert.Equal("tonexty", data.[1].GetProperty("fill").GetString())
    Assert.Equal(0.65, data.[0].GetProperty("y").[1].GetDouble(), 12)
    Assert.Equal("hv", data.[2].GetProperty("line").GetProperty("shape").GetString())

[<Fact>]
let ``ten survival curves become small multiples with one distinct colour each`` () =
    let series = [ for i in 0..9 -> sprintf "config %d" i, [ 0.0, est 1.0 1.0 1.0; 1.0, est (0.9 - 0.05 * float i) 0.5 0.95 ] ]
    let chart = Charts.smallMultiples "survival" "step" "S(k)" (0.0, 1.02) series
    use doc = parse chart
    let layout = doc.RootElement.GetProperty "layout"
    // A 4 × 3 grid with a title per panel.
    Assert.Equal(4, layout.GetProperty("grid").GetProperty("rows").GetInt32())
    Assert.Equal(3, layout.GetProperty("grid").GetProperty("columns").GetInt32())
    let titles = layout.GetProperty("annotations").EnumerateArray() |> Seq.map (fun a -> a.GetProperty("text").GetString()) |> List.ofSeq
    Assert.Equal<string list>(series |> List.map fst, titles)
    let colours =
        doc.RootElement.GetProperty("data").EnumerateArray()
        |> Seq.filter (fun t -> t.GetProperty("mode").GetString() = "lines+markers")
        |> Seq.map (fun t -> t.GetProperty("line").GetProperty("color").GetString())
        |> List.ofSeq
    Assert.Equal(10, colours.Length)
    Assert.Equal(10, (List.distinct colours).Length)

[<Fact>]
let ``JSON is deterministic`` () =
    let fig () = Charts.heatmap "h" "x" "y" [ "a"; "b" ] [ "r" ] [ [ 1.0; 2.0 ] ]
    Assert.Equal(Charts.toJson (fig ()), Charts.toJson (fig ()))
    use doc = parse (fig ())
    Assert.Equal("reversed", doc.RootElement.GetProperty("layout").GetProperty("yaxis").GetProperty("autorange").GetString())

[<Fact>]
let ``HTML fragment embeds the figure safely and displays as HTML content`` () =
    let chart = Charts.groupedBar "a </script> title" "c" "%" [ "s", [ "k", est 1.0 1.0 1.0 ] ]
    let html = Charts.toHtmlFragment chart
    Assert.Contains("class=\"qr-figure\"", html)
    Assert.DoesNotContain("a </script> title", html)
    Assert.Equal(html, Charts.toHtmlFragment chart)
    let output = Charts.display chart :> Microsoft.AspNetCore.Html.IHtmlContent
    use writer = new System.IO.StringWriter()
    output.WriteTo(writer, System.Text.Encodings.Web.HtmlEncoder.Default)
    Assert.Equal(html, writer.ToString())
    // plotly.js for offline pages comes from Plotly.NET itself.
    Assert.Contains("plotly.js v", Charts.plotlyJs.Value.Substring(0, 200))
