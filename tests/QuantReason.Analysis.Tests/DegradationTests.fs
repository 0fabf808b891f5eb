module QuantReason.Analysis.Tests.DegradationTests

open Xunit
open QuantReason
open QuantReason.Analysis
open QuantReason.Analysis.Tests.TestRuns

let private runs () =
    let root = tempRoot ()
    [ spec "fp" "M-1B" None (answers "Algebra" 10 6)
      spec "gptq" "M-1B" (Some("gptq", 4)) (answers "Algebra" 10 4)
      spec "awq" "M-1B" (Some("awq", 4)) (answers "Algebra" 10 5)
      spec "rtn3" "M-1B" (Some("rtn", 3)) (answers "Algebra" 10 1) ]
    |> List.map (write root)
    |> RunDirectory.loadMany

[<Fact>]
let ``scores, deltas and relative deltas match hand computation`` () =
    let table = Degradation.table (runs ())
    // FP first, then methods alphabetically: awq, gptq, rtn.
    Assert.Equal<string list>([ "FP"; "AWQ W4A16"; "GPTQ W4A16"; "RTN W3A16" ], table |> List.map (fun r -> Config.label r.Config))
    let row label = table |> List.find (fun r -> Config.label r.Config = label)
    Assert.Equal(60.0, (row "FP").Score.Value, 10)
    Assert.Equal(None, (row "FP").Delta)
    // 60 − 40 = 20 points; 20 / 60 = 33.33%.
    Assert.Equal(20.0, (row "GPTQ W4A16").Delta.Value.Value, 10)
    Assert.Equal(100.0 / 3.0, (row "GPTQ W4A16").DeltaPct.Value, 10)
    // 60 − 50 = 10; 16.67%.
    Assert.Equal(10.0, (row "AWQ W4A16").Delta.Value.Value, 10)
    Assert.Equal(100.0 / 6.0, (row "AWQ W4A16").DeltaPct.Value, 10)
    // 60 − 10 = 50; 83.33%.
    Assert.Equal(50.0, (row "RTN W3A16").Delta.Value.Value, 10)
    Assert.Equal(250.0 / 3.0, (row "RTN W3A16").DeltaPct.Value, 10)
    // Wilson 95% of 6/10 in percent.
    Assert.Equal(31.2674, (row "FP").Score.Lower, 3)
    Assert.Equal(83.1820, (row "FP").Score.Upper, 3)

[<Fact>]
let ``delta intervals bracket the delta and are reproducible`` () =
    let a = Degradation.table (runs ())
    let b = Degradation.table (runs ())
    for ra, rb in List.zip a b do
        Assert.Equal(ra.Delta, rb.Delta)
        match ra.Delta with
        | Some d ->
            Assert.True(d.Lower <= d.Value && d.Value <= d.Upper, sprintf "%A" d)
            Assert.True(d.Lower >= -100.0 && d.Upper <= 100.0)
        | None -> ()

[<Fact>]
let ``two runs of the same model and configuration are an error`` () =
    let root = tempRoot ()
    let a = write root (spec "fp-a" "M" None (answers "A" 4 2))
    let b = write root (spec "fp-b" "M" None (answers "A" 4 3))
    let ex = Assert.Throws<QuantReasonException>(fun () -> Degradation.table (RunDirectory.loadMany [ a; b ]) |> ignore)
    Assert.Contains(a, ex.Message)
    Assert.Contains(b, ex.Message)
