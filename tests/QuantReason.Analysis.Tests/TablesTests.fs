module QuantReason.Analysis.Tests.TablesTests

open Xunit
open QuantReason.Analysis

let private table =
    { Caption = "Δ of 50% & more"; Label = "t"; Columns = [ "Model"; "Δ%" ]; Align = "lr"
      Rows = [ [ "llama_3"; "1.50" ]; [ "a|b"; "–" ] ] }

[<Fact>]
let ``LaTeX is booktabs with specials escaped`` () =
    let tex = Tables.toLatex table
    Assert.Contains("\\caption{$\\Delta$ of 50\\% \\& more}", tex)
    Assert.Contains("\\begin{tabular}{lr}\n\\toprule\nModel & $\\Delta$\\% \\\\\n\\midrule\n", tex)
    Assert.Contains("llama\\_3 & 1.50 \\\\", tex)
    Assert.Contains("\\bottomrule", tex)

[<Fact>]
let ``Markdown aligns numbers right and escapes pipes`` () =
    let md = Tables.toMarkdown table
    Assert.Contains("| Model | Δ% |\n| --- | ---: |\n| llama_3 | 1.50 |\n| a\\|b | – |\n", md)

[<Fact>]
let ``numbers are formatted invariantly and undefined values as a dash`` () =
    let previous = System.Globalization.CultureInfo.CurrentCulture
    try
        // A culture with a decimal comma (the build runs in invariant-globalization mode, so no named cultures).
        let comma = System.Globalization.CultureInfo.InvariantCulture.Clone() :?> System.Globalization.CultureInfo
        comma.NumberFormat.NumberDecimalSeparator <- ","
        System.Globalization.CultureInfo.CurrentCulture <- comma
        Assert.Equal("1.50", Tables.f2 1.5)
    finally
        System.Globalization.CultureInfo.CurrentCulture <- previous
    Assert.Equal("–", Tables.f2 nan)
