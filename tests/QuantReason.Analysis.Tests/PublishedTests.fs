module QuantReason.Analysis.Tests.PublishedTests

open Xunit
open QuantReason.Analysis

let private checks () =
    Published.loadFolder (Published.defaultFolder ()) |> List.collect Published.check

/// Each flagged value, worked by hand from the printed scores (Δ = BF16 − score, Δ% = Δ / BF16 × 100):
/// MATH 1B AWQ 18.6−14.26 = 4.34 (23.33%) vs 2.8 (16.67%); 1B GPTQ 3.66 (19.68%) vs 6.8 (32.39%);
/// 3B AWQ 1.4 (3.48%) vs 2.16 (4.97%); 3B GPTQ 8.6 (21.39%) vs 4.0 (10.42%); 8B GPTQ 4.14 (8.77%) vs 5.8 (12.29%);
/// MATH-500 1B AWQ 6.8/21 = 32.38% vs 32.39%; 1B GPTQ 6.06 (28.86%) vs 6.2 (29.52%); 8B AWQ 6.96 (18.63%) vs 6.94 (18.58%).
let private expectedFlags =
    set
        [ "s1-math.json", "Llama-3.2-1B-Instruct", "AWQ W4A16", "Δ"
          "s1-math.json", "Llama-3.2-1B-Instruct", "AWQ W4A16", "Δ%"
          "s1-math.json", "Llama-3.2-1B-Instruct", "GPTQ W4A16", "Δ"
          "s1-math.json", "Llama-3.2-1B-Instruct", "GPTQ W4A16", "Δ%"
          "s1-math.json", "Llama-3.2-3B-Instruct", "AWQ W4A16", "Δ"
          "s1-math.json", "Llama-3.2-3B-Instruct", "AWQ W4A16", "Δ%"
          "s1-math.json", "Llama-3.2-3B-Instruct", "GPTQ W4A16", "Δ"
          "s1-math.json", "Llama-3.2-3B-Instruct", "GPTQ W4A16", "Δ%"
          "s1-math.json", "Llama-3.1-8B-Instruct", "GPTQ W4A16", "Δ"
          "s1-math.json", "Llama-3.1-8B-Instruct", "GPTQ W4A16", "Δ%"
          "s1-math500.json", "Llama-3.2-1B-Instruct", "AWQ W4A16", "Δ%"
          "s1-math500.json", "Llama-3.2-1B-Instruct", "GPTQ W4A16", "Δ"
          "s1-math500.json", "Llama-3.2-1B-Instruct", "GPTQ W4A16", "Δ%"
          "s1-math500.json", "Llama-3.1-8B-Instruct", "AWQ W4A16", "Δ"
          "s1-math500.json", "Llama-3.1-8B-Instruct", "AWQ W4A16", "Δ%" ]

[<Fact>]
let ``exactly the hand-identified printed values are flagged`` () =
    let all = checks ()
    Assert.Equal(24, all.Length) // 2 tables × 3 models × 2 methods × (Δ, Δ%)
    let flagged = Published.flagged all |> List.map (fun c -> c.Table, c.Model, c.Method, c.Quantity) |> set
    Assert.Equal<Set<_>>(expectedFlags, flagged)

[<Fact>]
let ``recomputed values match hand computation`` () =
    let all = checks ()
    let find table model meth qty =
        all |> List.find (fun c -> c.Table = table && c.Model = model && c.Method = meth && c.Quantity = qty)
    Assert.Equal(4.34M, (find "s1-math.json" "Llama-3.2-1B-Instruct" "AWQ W4A16" "Δ").Recomputed)
    Assert.Equal(23.33M, (find "s1-math.json" "Llama-3.2-1B-Instruct" "AWQ W4A16" "Δ%").Rounded)
    Assert.Equal(32.38M, (find "s1-math500.json" "Llama-3.2-1B-Instruct" "AWQ W4A16" "Δ%").Rounded)
    Assert.Equal(LastDigit, (find "s1-math500.json" "Llama-3.2-1B-Instruct" "AWQ W4A16" "Δ%").Verdict)
    // 6.06 prints as 6.1, one unit from 6.2, yet 6.2 is 0.14 from the exact value: not a rounding slip.
    Assert.Equal(Inconsistent, (find "s1-math500.json" "Llama-3.2-1B-Instruct" "GPTQ W4A16" "Δ").Verdict)
    // 8B GPTQ on MATH: the Δ is wrong but the Δ% does follow from it (5.8 / 47.2 = 12.29%).
    Assert.Equal(Some true, (find "s1-math.json" "Llama-3.1-8B-Instruct" "GPTQ W4A16" "Δ%").FollowsPrintedDelta)
    Assert.Equal(1, (find "s1-math.json" "Llama-3.2-3B-Instruct" "GPTQ W4A16" "Δ").Printed.Decimals) // printed "4.0"

[<Fact>]
let ``verdict distinguishes rounding slips from wrong values`` () =
    let p text = { Text = text; Value = System.Decimal.Parse text; Decimals = (text.Length - text.IndexOf '.' - 1) }
    Assert.Equal(Consistent, Published.verdict (p "11.44") 11.4406779M)
    Assert.Equal(LastDigit, Published.verdict (p "32.39") 32.3809523M)
    Assert.Equal(Inconsistent, Published.verdict (p "16.67") 23.3333333M)
    Assert.Equal(Inconsistent, Published.verdict (p "6.2") 6.06M)
    Assert.Equal(LastDigit, Published.verdict (p "6.9") 6.96M) // truncated
    Assert.Equal(Consistent, Published.verdict (p "0.5") 0.45M) // half away from zero
