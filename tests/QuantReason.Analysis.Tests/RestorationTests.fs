module QuantReason.Analysis.Tests.RestorationTests

open Xunit
open QuantReason
open QuantReason.Analysis
open QuantReason.Analysis.Tests.TestRuns

/// FP right on p0..p7, the quantized base on p0..p3 (4 points of 10 lost … 40 points), a DPO run on p0..p(k-1).
let private set (restored: Spec list) =
    let root = tempRoot ()
    [ spec "fp" "M" None (answers "A" 10 8)
      spec "q" "M" (Some("rtn", 2)) (answers "A" 10 4) ]
    @ restored
    |> List.map (write root)
    |> RunDirectory.loadMany

let private dpo id subset correct =
    { spec id "M" (Some("rtn", 2)) (answers "A" 10 correct) with Training = Some("dpo", subset); BaseRun = Some "q" }

let private only (rows: RestorationRow list) = List.exactlyOne rows

[<Fact>]
let ``gain and capability recovered match hand computation, interval around the point`` () =
    let r = set [ dpo "q-dpo-all" "all" 7 ] |> Restoration.table |> only
    Assert.Equal((10, 80.0, 40.0, 70.0), (r.Problems, r.Fp.Value, r.Quantized.Value, r.Score.Value))
    Assert.Equal(30.0, r.Gain.Value, 12) // 70 − 40
    Assert.Equal(0.75, r.Recovered.Value, 12) // (70 − 40) / (80 − 40)
    Assert.Equal(("q", "Setting 0 (all)", Some 323), (r.BaseRun, r.Setting, r.Pairs))
    for e in [ r.Gain; r.Recovered ] do
        Assert.True(e.Lower <= e.Value && e.Value <= e.Upper && e.Lower < e.Upper, sprintf "%A" e)
    // Resampling problems can only move the share of the 4-problem gap closed within [0, 1] here: no problem is
    // right in the quantized run and wrong after restoration.
    Assert.InRange(r.Recovered.Lower, 0.0, 0.75)
    Assert.InRange(r.Recovered.Upper, 0.75, 1.0)

[<Fact>]
let ``restored equal to FP recovers exactly 1 in every resample`` () =
    let r = set [ dpo "q-dpo-all" "all" 8 ] |> Restoration.table |> only
    Assert.Equal((1.0, 1.0, 1.0), (r.Recovered.Value, r.Recovered.Lower, r.Recovered.Upper))

[<Fact>]
let ``the bootstrap is paired: a run identical to its base gains exactly 0 in every resample`` () =
    // Unpaired resampling of two 40 % runs would give a gain interval of about ±40 points around 0.
    let r = set [ dpo "q-dpo-all" "all" 4 ] |> Restoration.table |> only
    Assert.Equal((0.0, 0.0, 0.0), (r.Gain.Value, r.Gain.Lower, r.Gain.Upper))
    Assert.Equal((0.0, 0.0, 0.0), (r.Recovered.Value, r.Recovered.Lower, r.Recovered.Upper))

[<Fact>]
let ``outcomes are paired on problem ids, not on line order, over the problems all three runs answered`` () =
    // Lines reversed and p9 missing: the row is over p0..p8, FP 8/9, quantized 4/9, restored 7/9.
    let shuffled = { dpo "q-dpo-all" "all" 7 with Answers = answers "A" 10 7 |> List.take 9 |> List.rev }
    let r = set [ shuffled ] |> Restoration.table |> only
    Assert.Equal(9, r.Problems)
    Assert.Equal(100.0 * 3.0 / 9.0, r.Gain.Value, 9)
    Assert.Equal(0.75, r.Recovered.Value, 12)
    Assert.Equal(100.0 * 7.0 / 9.0, r.Score.Value, 9)

[<Fact>]
let ``a restoration evaluated on another dataset is refused, naming the run`` () =
    let runs = set [ { dpo "q-dpo-all" "all" 7 with Dataset = "gsm8k" } ]
    let ex = Assert.Throws<QuantReasonException>(fun () -> Restoration.table runs |> ignore)
    Assert.Contains("q-dpo-all", ex.Message)
    Assert.Contains("one dataset", ex.Message)

[<Fact>]
let ``base_run picks the named configuration, follows an aligned base, and a missing one is an error naming it`` () =
    let root = tempRoot ()
    let runs =
        [ spec "fp" "M" None (answers "A" 10 8)
          spec "q-g32" "M" (Some("rtn", 2)) (answers "A" 10 4)
          spec "q-g128" "M" (Some("rtn", 2)) (answers "A" 10 2)
          { spec "aligned" "M" (Some("rtn", 2)) (answers "A" 10 3) with Training = Some("qlora", "all"); BaseRun = Some "q-g128" }
          { dpo "dpo" "conceptual" 6 with BaseRun = Some "aligned" } ]
        |> List.map (write root)
        |> RunDirectory.loadMany
    let rows = Restoration.table runs
    Assert.Equal<string list>([ "Aligned"; "Setting 1 (conceptual)" ], rows |> List.map (fun r -> r.Setting))
    Assert.All(rows, fun r -> Assert.Equal(("q-g128", 20.0), (r.BaseRun, r.Quantized.Value)))
    Assert.Equal((6.0 - 2.0) / (8.0 - 2.0), rows.[1].Recovered.Value, 12)
    let orphan = write root { dpo "orphan" "all" 5 with BaseRun = Some "rtn-w2g64" } |> RunDirectory.load
    let ex = Assert.Throws<QuantReasonException>(fun () -> Restoration.table (runs @ [ orphan ]) |> ignore)
    Assert.Contains("rtn-w2g64", ex.Message)
    Assert.Contains(orphan.Path, ex.Message)

[<Fact>]
let ``first errors by type are counted before and after over failures only, in taxonomy order`` () =
    let quantizedLabels =
        [ for i, t in List.indexed [ "computational_error"; "computational_error"; "conceptual_misunderstanding"; "procedural_error"; "computational_error"; "computational_error" ] ->
              sprintf "p%d" (i + 4), 3, 1, Some t, Taxonomy.categoryOf t ]
    let restoredLabels =
        [ "p0", 3, 1, Some "computational_error", Some "execution" // a stale label on a right answer: not a first error
          "p7", 3, 0, Some "procedural_error", Some "method"
          "p8", 3, 2, Some "computational_error", Some "execution"
          "p9", 3, 2, Some "computational_error", Some "execution" ]
    let root = tempRoot ()
    let runs =
        [ spec "fp" "M" None (answers "A" 10 8)
          { spec "q" "M" (Some("rtn", 2)) (answers "A" 10 4) with Labels = quantizedLabels }
          { dpo "q-dpo-all" "all" 7 with Labels = restoredLabels } ]
        |> List.map (write root)
        |> RunDirectory.loadMany
    let r = Restoration.table runs |> only
    Assert.Equal<(string * int * int) list>(
        [ "conceptual_misunderstanding", 1, 0; "procedural_error", 1, 1; "computational_error", 4, 2 ],
        r.FirstErrors)

[<Fact>]
let ``setting names follow the study: Aligned, then Settings 0 to 3 by category, then single types`` () =
    Assert.Equal<string list>(
        [ "Aligned"; "Setting 0 (all)"; "Setting 1 (conceptual)"; "Setting 2 (method)"; "Setting 3 (execution)"; "Subset computational_error" ],
        [ Restoration.settingName "dpo" "computational_error"; Restoration.settingName "dpo" "execution"
          Restoration.settingName "align" "all"; Restoration.settingName "dpo" "method"
          Restoration.settingName "dpo" "all"; Restoration.settingName "dpo" "conceptual" ]
        |> List.sortBy Restoration.settingOrder)

[<Fact>]
let ``the pattern-count bootstrap equals the generic bootstrap resampling whole problems`` () =
    // 300 problems with every outcome pattern present; same seed, same draws: the intervals must agree exactly.
    let rng = System.Random(7)
    let outcomes = Array.init 300 (fun _ -> rng.Next 10 < 8, rng.Next 10 < 4, rng.Next 10 < 6)
    let fast = Restoration.pairedIntervals [ Restoration.gain; Restoration.recovered ] outcomes
    let generic =
        [ Restoration.gain; Restoration.recovered ]
        |> List.map (fun s -> Stats.bootstrap Restoration.seed Restoration.resamples Restoration.level (Restoration.patternCounts >> s) outcomes)
    Assert.Equal<Estimate list>(generic, fast)
    let counts = Restoration.patternCounts outcomes
    Assert.Equal(300, Array.sum counts)
    Assert.True(counts |> Array.forall (fun c -> c > 0), sprintf "%A" counts)
