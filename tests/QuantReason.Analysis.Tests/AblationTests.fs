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
    Assert.Equal<string list>([ "all"; "conceptual" ], table |> List.map (fun r -> r.Subset))
    let all = table.[0]
    Assert.Equal("GPTQ W4A16", all.Quantization)
    Assert.Equal(70.0, all.Score.Value, 12)
    Assert.Equal(30.0, all.Gain.Value, 12) // 70 − 40
    Assert.Equal(0.75, all.Recovered.Value, 12) // 30 / (80 − 40)
    Assert.Equal(0.25, table.[1].Recovered.Value, 12) // (50 − 40) / 40
