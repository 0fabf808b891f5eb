module QuantReason.Analysis.Tests.CapabilityTests

open Xunit
open QuantReason.Analysis
open QuantReason.Analysis.Tests.TestRuns

[<Fact>]
let ``relative capability divides by full precision per dimension`` () =
    let root = tempRoot ()
    let mixed fpAlg fpGeo = answers "Algebra" 4 fpAlg @ [ for i in 0 .. 3 -> sprintf "g%d" i, "Geometry", i < fpGeo ]
    let runs =
        [ spec "fp" "M" None (mixed 4 2); spec "q" "M" (Some("rtn", 4)) (mixed 3 1) ]
        |> List.map (write root)
        |> RunDirectory.loadMany
    let points = Frame.ofRuns None runs |> Capability.relative Capability.bySubject
    let get label dim = points |> List.find (fun p -> Config.label p.Config = label && p.Dimension = dim)
    Assert.Equal(1.0, (get "FP" "Algebra").Relative, 12)
    Assert.Equal(1.0, (get "FP" "Geometry").Relative, 12)
    Assert.Equal(0.75, (get "RTN W4A16" "Algebra").Relative, 12) // 75% / 100%
    Assert.Equal(0.5, (get "RTN W4A16" "Geometry").Relative, 12) // 25% / 50%
