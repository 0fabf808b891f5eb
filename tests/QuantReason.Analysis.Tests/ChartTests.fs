module QuantReason.Analysis.Tests.ChartTests

open System.Text.Json
open Xunit
open QuantReason.Analysis

let private est v lo hi = { Value = v; Lower = lo; Upper = hi; Level = 0.95 }

let sampleBar () =
    Chart.groupedBar "MATH-500 accuracy" "configuration" "accuracy (%)"
        [ "Llama-1B", [ "FP", est 21.0 17.0 25.0; "GPTQ W4", est 14.9 12.0 18.0 ]
          "Llama-3B", [ "FP", est 37.4 33.0 42.0; "GPTQ W4", est 31.4 27.0 36.0 ] ]

[<Fact>]
let ``figure JSON carries traces, titles and error bars`` () =
    use doc = JsonDocument.Parse(Chart.toJson (sampleBar ()))
    let data = doc.RootElement.GetProperty "data"
    Assert.Equal(2, data.GetArrayLength())
    Assert.Equal("bar", data.[0].GetProperty("type").GetString())
    Assert.Equal(4.0, data.[0].GetProperty("error_y").GetProperty("arrayminus").[0].GetDouble(), 9) // 21 − 17
    let layout = doc.RootElement.GetProperty "layout"
    Assert.Equal("MATH-500 accuracy", layout.GetProperty("title").GetProperty("text").GetString())
    Assert.Equal("accuracy (%)", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString())
    Assert.Equal("group", layout.GetProperty("barmode").GetString())

[<Fact>]
let ``radar closes its polygons and bands come before their line`` () =
    let radar = Chart.radar "capability" [ "GPTQ W4", [ "Algebra", 0.8; "Geometry", 0.6; "Number Theory", 0.9 ] ]
    use r = JsonDocument.Parse(Chart.toJson radar)
    let theta = r.RootElement.GetProperty("data").[0].GetProperty("theta")
    Assert.Equal(4, theta.GetArrayLength())
    Assert.Equal("Algebra", theta.[3].GetString())
    let lines = Chart.linesWithBands "survival" "step" "S(k)" [ "gsm8k", [ 0.0, est 0.9 0.85 0.93; 1.0, est 0.7 0.65 0.75 ] ]
    use l = JsonDocument.Parse(Chart.toJson lines)
    let data = l.RootElement.GetProperty "data"
    Assert.Equal(3, data.GetArrayLength())
    Assert.Equal("tonexty", data.[1].GetProperty("fill").GetString())
    Assert.Equal(0.65, data.[0].GetProperty("y").[1].GetDouble(), 12)

[<Fact>]
let ``JSON is deterministic and NaN becomes null`` () =
    let fig = Chart.heatmap "h" "x" "y" [ "a"; "b" ] [ "r" ] [ [ 1.0; nan ] ]
    Assert.Equal(Chart.toJson fig, Chart.toJson fig)
    use doc = JsonDocument.Parse(Chart.toJson fig)
    Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("data").[0].GetProperty("z").[0].[1].ValueKind)

[<Fact>]
let ``HTML fragment embeds the figure safely and displays as HTML content`` () =
    let fig = { sampleBar () with Title = "a </script> title" }
    let html = Chart.toHtmlFragment fig
    Assert.Contains("class=\"qr-figure\"", html)
    Assert.DoesNotContain("a </script> title", html)
    Assert.Equal(html, Chart.toHtmlFragment fig)
    let output = Chart.display fig :> Microsoft.AspNetCore.Html.IHtmlContent
    use writer = new System.IO.StringWriter()
    output.WriteTo(writer, System.Text.Encodings.Web.HtmlEncoder.Default)
    Assert.Equal(html, writer.ToString())
