namespace QuantReason.Analysis.Tests

open System.IO
open Xunit
open QuantReason.Analysis
open QuantReason.Analysis.Tests.Chromium

type ChartExportTests(fixture: ExporterFixture) =
    interface IClassFixture<ExporterFixture>

    [<ChromiumFact>]
    member _.``SVG export carries the title and axis labels``() =
        let svg = fixture.Exporter.Svg(ChartsTests.sampleBar ())
        Assert.StartsWith("<svg", svg)
        Assert.Contains(">MATH-500 accuracy<", svg)
        Assert.Contains(">configuration<", svg)
        Assert.Contains(">accuracy (%)<", svg)
        Assert.Contains(">Llama-1B<", svg) // legend

    [<ChromiumFact>]
    member _.``SVG export is byte-identical across renders``() =
        let fig = ChartsTests.sampleBar ()
        Assert.Equal(fixture.Exporter.Svg fig, fixture.Exporter.Svg fig)
        let radar = Charts.radar "capability" [ "GPTQ W4A16", [ "Algebra", 0.8; "Geometry", 0.6; "Number Theory", 0.9 ] ]
        Assert.Equal(fixture.Exporter.Svg radar, fixture.Exporter.Svg radar)

    [<ChromiumFact>]
    member _.``PNG export is a non-empty PNG at the figure's size``() =
        let png = fixture.Exporter.Png(ChartsTests.sampleBar ())
        Assert.True(png.Length > 5000, sprintf "%d bytes" png.Length)
        Assert.Equal<byte[]>([| 0x89uy; 0x50uy; 0x4Euy; 0x47uy |], png.[0..3])
        // IHDR width, big-endian at bytes 16..19.
        let width = (int png.[16] <<< 24) ||| (int png.[17] <<< 16) ||| (int png.[18] <<< 8) ||| int png.[19]
        Assert.Equal(Charts.columnWidth, width)

type ChartPageTests(browser: BrowserFixture) =
    interface IClassFixture<BrowserFixture>

    [<ChromiumFact>]
    member _.``an HTML page renders its charts offline``() =
        let file = Path.Combine(TestRuns.tempRoot (), "page.html")
        File.WriteAllText(file, Charts.page "t" (Charts.toHtmlFragment (ChartsTests.sampleBar ())))
        let rendered = browser.RenderedSvgs file
        Assert.Equal(1, rendered.Length)
        Assert.Contains("MATH-500 accuracy", rendered.Head)

module ChartExportUnitTests =
    [<Fact>]
    let ``SVG ids are renamed in order with their references`` () =
        let svg = """<svg><defs><clipPath id="clip3f2a1bxyplot"><rect/></clipPath></defs><g clip-path="url(#clip3f2a1bxyplot)" id="legend3f2a1b"><use href="#legend3f2a1b"/></g></svg>"""
        let n = ChartExporter.NormaliseSvg svg
        Assert.Equal("""<svg><defs><clipPath id="q0"><rect/></clipPath></defs><g clip-path="url(#q0)" id="q1"><use href="#q1"/></g></svg>""", n)

    [<Fact>]
    let ``attribute order within a tag does not change the normalised SVG`` () =
        let a = """<svg><rect class="bg" style="fill: red;" width="1" x="0"/><text y="2" x="1">a &gt; b</text></svg>"""
        let b = """<svg><rect width="1" x="0" class="bg" style="fill: red;"/><text x="1" y="2">a &gt; b</text></svg>"""
        Assert.Equal(ChartExporter.NormaliseSvg a, ChartExporter.NormaliseSvg b)
        Assert.Equal("""<svg><rect class="bg" style="fill: red;" width="1" x="0"/><text x="1" y="2">a &gt; b</text></svg>""", ChartExporter.NormaliseSvg a)
