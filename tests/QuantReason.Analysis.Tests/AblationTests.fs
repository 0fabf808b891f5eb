module QuantReason.Analysis.Tests.AblationTests

open Xunit
open QuantReason.Analysis
open QuantReason.Analysis.Tests.TestRuns

[<Fact>]
let ``ablation gains and recovered gap match hand computation`` () =
    let root = tempRoot ()
    let runs =
        [ spec "fp" "M" None (answers "A" 10 8)
          spec "q" "M" (Some("gptq", 4)) (answers "A" 10 4)
          { spec "q-all" "M" (Some("gptq", 4)) (answers "A" 10 7) with Training = Some("dpo", "all") }
          { spec "q-con" "M" (Some("gptq", 4)) (answers "A" 10 5) with Training = Some("dpo", "conceptual") } ]
        |> List.map (write root)
        |> RunDirectory.loadMany
    let table = Ablation.table runs
    let row = List.exactlyOne table
    Assert.Equal<string list>([ "Setting 0 (all)"; "Setting 1 (conceptual)" ], Ablation.settings table)
    Assert.Equal("GPTQ W4A16 g128", row.Configuration)
    let all, con = snd row.Restored.[0], snd row.Restored.[1]
    Assert.Equal(70.0, all.Score.Value, 12)
    Assert.Equal(30.0, all.Gain.Value, 12) // 70 − 40
    Assert.Equal(0.75, all.Recovered.Value, 12) // 30 / (80 − 40)
    Assert.Equal(0.25, con.Recovered.Value, 12) // (50 − 40) / 40

[<Fact>]
let ``the ablation layout has one row per quantized configuration and the study's columns in order`` () =
    let root = tempRoot ()
    let trained id quant subset correct baseRun =
        { spec id "M" (Some quant) (answers "A" 10 correct) with Training = Some subset; BaseRun = Some baseRun }
    let runs =
        [ spec "fp" "M" None (answers "A" 10 9)
          spec "rtn-w2" "M" (Some("rtn", 2)) (answers "A" 10 2)
          spec "gptq-w3" "M" (Some("gptq", 3)) (answers "A" 10 6)
          // written out of the study's order on purpose
          trained "rtn-w2+dpo-exe" ("rtn", 2) ("dpo", "execution") 7 "rtn-w2"
          trained "rtn-w2+dpo-met" ("rtn", 2) ("dpo", "method") 4 "rtn-w2"
          trained "rtn-w2+align" ("rtn", 2) ("lora", "all") 3 "rtn-w2"
          trained "rtn-w2+dpo-all" ("rtn", 2) ("dpo", "all") 8 "rtn-w2"
          trained "rtn-w2+dpo-con" ("rtn", 2) ("dpo", "conceptual") 5 "rtn-w2"
          trained "gptq-w3+dpo-all" ("gptq", 3) ("dpo", "all") 8 "gptq-w3" ]
        |> List.map (write root)
        |> RunDirectory.loadMany
    let rows = Ablation.table runs
    let t = Tables.ablation "Ablation" rows
    Assert.Equal<string list>(
        [ "Model"; "Configuration"; "FP"; "Quantized"; "Aligned"; "Setting 0 (all)"; "Setting 1 (conceptual)"
          "Setting 2 (method)"; "Setting 3 (execution)" ],
        t.Columns)
    Assert.Equal<string list list>(
        [ [ "M"; "GPTQ W3A16 g128"; "90.0"; "60.0"; "–"; "80.0"; "–"; "–"; "–" ]
          [ "M"; "RTN W2A16 g128"; "90.0"; "20.0"; "30.0"; "80.0"; "50.0"; "40.0"; "70.0" ] ],
        t.Rows)
    let r = Tables.restoration "Restoration" (Restoration.table runs)
    // GPTQ W3 Setting 0: gain 20 points of a 30-point gap.
    Assert.Equal<string list>([ "M"; "GPTQ W3A16 g128"; "Setting 0 (all)"; "323"; "10"; "90.0"; "60.0"; "–"; "80.0" ], r.Rows.Head |> List.take 9)
    Assert.Equal("20.0", r.Rows.Head.[10])
    Assert.Equal("66.7", r.Rows.Head.[12])
    // RTN W2 rows carry their aligned run's score beside each setting.
    Assert.All(r.Rows.Tail, fun row -> Assert.Equal("30.0", row.[7]))
