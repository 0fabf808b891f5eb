module QuantReason.Analysis.Tests.SurvivalTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open QuantReason.Analysis

let private chain steps first etype = { Group = "g"; NumSteps = steps; FirstError = first; ErrorType = etype }

/// A(3 steps, error at 0), B(3, none), C(2, error at 1), D(4, error at 2), E(1, none).
let private small =
    [ chain 3 (Some 0) (Some "computational_error")
      chain 3 None None
      chain 2 (Some 1) (Some "logical_reasoning_error")
      chain 4 (Some 2) (Some "computational_error")
      chain 1 None None ]

[<Fact>]
let ``hazards and risk sets match hand computation`` () =
    let h = Survival.hazards small
    // step 0: all 5 at risk, A fails, E ends; step 1: B C D at risk, C fails; step 2: B D at risk, D fails, B ends.
    Assert.Equal<(int * int * int * int) list>(
        [ 0, 5, 1, 1; 1, 3, 1, 0; 2, 2, 1, 1 ],
        h |> List.map (fun s -> s.Step, s.AtRisk, s.Events, s.Censored))

[<Fact>]
let ``Kaplan-Meier and Greenwood match hand computation`` () =
    let km = Survival.kaplanMeier (Survival.hazards small)
    let s = km |> List.map (fun p -> p.Survival.Value)
    Assert.Equal(0.8, s.[0], 12)
    Assert.Equal(0.8 * 2.0 / 3.0, s.[1], 12)
    Assert.Equal(0.8 * 2.0 / 3.0 * 0.5, s.[2], 12)
    // log(−log) band at step 1: se = sqrt(1/20 + 1/6) / |ln S|, bounds S^exp(±1.96 se).
    let s1 = 0.8 * 2.0 / 3.0
    let se = sqrt (1.0 / 20.0 + 1.0 / 6.0) / abs (log s1)
    Assert.Equal(s1 ** exp (1.959963984540054 * se), km.[1].Survival.Lower, 9)
    Assert.Equal(s1 ** exp (-1.959963984540054 * se), km.[1].Survival.Upper, 9)

[<Fact>]
let ``type shares conditional on survival and the all-errors projection match hand computation`` () =
    let c = Survival.conditionalShares 1 small
    Assert.Equal<(string * int) list>([ "computational_error", 1; "logical_reasoning_error", 1 ], c |> List.map (fun x -> x.ErrorType, x.Count))
    let p = Survival.allErrorsProjection small
    // Expected errors: step 0: 5 × 1/5 = 1 (comp); step 1: 4 × 1/3 (logic); step 2: 3 × 1/2 = 1.5 (comp).
    let comp = p |> List.find (fun x -> x.ErrorType = "computational_error")
    let logic = p |> List.find (fun x -> x.ErrorType = "logical_reasoning_error")
    Assert.Equal(2, comp.FirstOnly)
    Assert.Equal(2.5, comp.Projected, 12)
    Assert.Equal(4.0 / 3.0, logic.Projected, 12)
    Assert.Equal(100.0 * 2.5 / (2.5 + 4.0 / 3.0), comp.ProjectedShare, 9)
    Assert.Equal(100.0 / 3.0, logic.FirstOnlyShare, 9)

/// One synthetic study: per-step hazards in [0.02, 0.4], 6–8 steps, 300–800 chains, and a seed.
let private studyGen =
    gen {
        let! steps = Gen.choose (6, 8)
        let! hazards = Gen.arrayOfLength steps (Gen.choose (2, 40) |> Gen.map (fun p -> float p / 100.0))
        let! count = Gen.choose (300, 800)
        let! seed = Gen.choose (1, Int32.MaxValue - 1)
        return hazards, count, seed
    }

/// Pooled over a batch of studies: the share of hazard intervals and of KM bands that contain the true value.
let private coverage (studies: (float[] * int * int) list) =
    let hits =
        studies
        |> List.collect (fun (hz, count, seed) ->
            let chains = Survival.simulate seed count 3 hz
            let est = Survival.hazards chains
            let km = Survival.kaplanMeier est
            let trueS k = [ 0 .. k ] |> List.fold (fun s j -> s * (1.0 - hz.[j])) 1.0
            // Only steps with a fair risk set: intervals on a handful of chains say little either way.
            [ for h in est do
                  if h.AtRisk >= 30 then
                      yield "hazard", h.Hazard.Lower <= hz.[h.Step] && hz.[h.Step] <= h.Hazard.Upper
              for p in km do
                  if (est |> List.find (fun h -> h.Step = p.Step)).AtRisk >= 30 then
                      yield "km", p.Survival.Lower <= trueS p.Step && trueS p.Step <= p.Survival.Upper ])
    let rate kind =
        let xs = hits |> List.filter (fun (k, _) -> k = kind)
        float (xs |> List.filter snd |> List.length) / float xs.Length
    rate "hazard", rate "km"

[<Fact>]
let ``estimates recover known per-step hazards within their intervals`` () =
    // Nominal coverage is 95%; each batch pools ~250 intervals, so 88% is ~4 standard errors below nominal: an
    // estimator that is biased or whose intervals are too narrow fails, an honest one passes.
    let batch = Gen.listOfLength 35 studyGen |> Arb.fromGen
    let property =
        Prop.forAll batch (fun studies ->
            let hazardCoverage, kmCoverage = coverage studies
            hazardCoverage >= 0.88 && kmCoverage >= 0.88)
    Check.One(Config.QuickThrowOnFailure.WithMaxTest(12).WithReplay(Some { Rnd = Rnd(20250103UL, 1UL); Size = None }), property)

[<Fact>]
let ``a biased estimator would fail the coverage criterion`` () =
    // Guards the criterion itself: shifting every true hazard by 0.05 must drop coverage far below 88%.
    let studies = Gen.sample 35 studyGen |> List.ofArray
    let hits =
        studies
        |> List.collect (fun (hz, count, seed) ->
            Survival.simulate seed count 3 hz
            |> Survival.hazards
            |> List.filter (fun h -> h.AtRisk >= 30)
            |> List.map (fun h -> let t = hz.[h.Step] + 0.05 in h.Hazard.Lower <= t && t <= h.Hazard.Upper))
    Assert.True(float (hits |> List.filter id |> List.length) / float hits.Length < 0.7)
