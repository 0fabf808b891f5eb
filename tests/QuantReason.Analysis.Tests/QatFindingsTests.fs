module QuantReason.Analysis.Tests.QatFindingsTests

open System.IO
open Xunit
open QuantReason
open QuantReason.Analysis
open QuantReason.Analysis.Tests.TestRuns

/// Ten problems; ids say nothing about the configuration, so the table must read the manifests. Every run is right
/// on p0..p(k-1): FP 9, RTN W2 3, GPTQ W2 5, QAT recipe (GPTQ init, KD, calibrated on math500) 8, SFT 6, plain init 4,
/// other calibration 7.
let private runs () =
    let root = tempRoot ()
    let qat id init objective calibration correct =
        { spec id "M" (Some("qat", 2)) (answers "A" 10 correct) with Qat = Some(init, objective, calibration, 100) }
    [ spec "r1" "M" None (answers "A" 10 9)
      spec "r2" "M" (Some("rtn", 2)) (answers "A" 10 3)
      spec "r3" "M" (Some("gptq", 2)) (answers "A" 10 5)
      qat "r4" "gptq" "kd" (Some "math500") 8
      qat "r5" "gptq" "sft" (Some "math500") 6
      qat "r6" "none" "kd" None 4
      qat "r7" "gptq" "kd" (Some "other") 7 ]
    |> List.map (write root)
    |> RunDirectory.loadMany

let private find (comparison: string) (rows: QatFinding list) = rows |> List.find (fun r -> r.Comparison = comparison)

[<Fact>]
let ``findings on a small run set match hand computation`` () =
    let rows = runs () |> QatFindings.table
    Assert.Equal<string list>(
        [ "KD vs SFT"; "PTQ init vs plain init (100 steps)"; "Aligned vs other calibration"; "QAT vs best PTQ" ],
        rows |> List.map (fun r -> r.Comparison))
    // (comparison, run A, run B, A %, B %, A − B)
    let expected =
        [ "KD vs SFT", "r4", "r5", 80.0, 60.0, 20.0
          "PTQ init vs plain init (100 steps)", "r4", "r6", 80.0, 40.0, 40.0
          "Aligned vs other calibration", "r4", "r7", 80.0, 70.0, 10.0
          "QAT vs best PTQ", "r4", "r3", 80.0, 50.0, 30.0 ]
    for name, a, b, accA, accB, diff in expected do
        let r = find name rows
        Assert.Equal((a, b, 10, 2), (r.RunA, r.RunB, r.Problems, r.Bits))
        Assert.Equal(accA, r.AccuracyA.Value, 9)
        Assert.Equal(accB, r.AccuracyB.Value, 9)
        Assert.Equal(diff, r.Difference.Value, 9)
        // A is right wherever B is, so no resample of problems can make the difference negative or exceed A's lead
        // on the problems where they differ.
        Assert.InRange(r.Difference.Lower, 0.0, diff)
        Assert.InRange(r.Difference.Upper, diff, 100.0)
        Assert.True(r.Overlap)
    // Wilson 95 %: 8/10 → [49.0162, 94.3318], 5/10 → [23.6593, 76.3407] (computed by hand from the closed form).
    let best = find "QAT vs best PTQ" rows
    Assert.Equal(49.0162, best.AccuracyA.Lower, 4)
    Assert.Equal(94.3318, best.AccuracyA.Upper, 4)
    Assert.Equal(23.6593, best.AccuracyB.Lower, 4)
    Assert.Equal(76.3407, best.AccuracyB.Upper, 4)
    Assert.Equal("QAT W2A16 g128 (GPTQ init, KD, calib math500, 100 steps)", best.A)
    Assert.Equal("GPTQ W2A16 g128", best.B)

[<Fact>]
let ``paired difference of identical outcomes is exactly zero in every resample`` () =
    let run = runs () |> List.find (fun r -> r.Manifest.RunId = "r4")
    let r = QatFindings.compare "same" run run
    Assert.Equal((0.0, 0.0, 0.0), (r.Difference.Value, r.Difference.Lower, r.Difference.Upper))

[<Fact>]
let ``overlap is decided on the two accuracy intervals`` () =
    let e v l u = { Value = v; Lower = l; Upper = u; Level = 0.95 }
    Assert.True(QatFindings.overlaps (e 50.0 40.0 60.0) (e 65.0 60.0 70.0))
    Assert.False(QatFindings.overlaps (e 50.0 40.0 59.9) (e 65.0 60.0 70.0))

[<Fact>]
let ``a QAT run without training.init is refused naming its directory`` () =
    let root = tempRoot ()
    let dir = write root { spec "bad" "M" (Some("qat", 2)) (answers "A" 4 2) with Qat = Some("gptq", "kd", None, 10) }
    let file = Path.Combine(dir, "manifest.json")
    File.WriteAllText(file, File.ReadAllText(file).Replace("\"init\": \"gptq\", ", ""))
    let ex = Assert.Throws<QuantReasonException>(fun () -> QatFindings.table [ RunDirectory.load dir ] |> ignore)
    Assert.Contains("training.init", ex.Message)
    Assert.Contains("bad", ex.Where)

[<Fact>]
let ``the committed reasoning-qat runs give every finding`` () =
    let runs = RunDirectory.loadAll (Path.Combine((Paths.repoRoot ()).Value, "data", "runs", "reasoning-qat"))
    let rows = QatFindings.table runs
    let prefix = "stepmath-ref-qat-w"
    Assert.Equal<(string * int * string * string) list>(
        [ "KD vs SFT", 2, "2g32-gptq-kd-stepmath-s100", prefix + "2g32-gptq-sft-stepmath-s100"
          "PTQ init vs plain init (30 steps)", 2, "2g32-gptq-kd-stepmath-s30", prefix + "2g32-none-kd-s30"
          "PTQ init vs plain init (100 steps)", 2, "2g32-gptq-kd-stepmath-s100", prefix + "2g32-none-kd-s100"
          "Aligned vs other calibration", 2, "2g32-gptq-kd-stepmath-s100", prefix + "2g32-gptq-kd-other-s100"
          "QAT vs best PTQ", 2, "2g32-gptq-kd-stepmath-s100", (QatFindings.bestPtq runs 2).Value.Manifest.RunId
          "QAT vs best PTQ", 3, "3g32-gptq-kd-stepmath-s100", "stepmath-ref-gptq-w3g32" ],
        rows |> List.map (fun r -> r.Comparison, r.Bits, r.RunA.Substring prefix.Length, r.RunB))
    Assert.Contains((QatFindings.bestPtq runs 2).Value.Manifest.RunId, [ "stepmath-ref-gptq-w2g32"; "stepmath-ref-rtn-w2g32" ])
    for r in rows do
        Assert.Equal(300, r.Problems)
        Assert.True(r.Difference.Lower <= r.Difference.Value && r.Difference.Value <= r.Difference.Upper, sprintf "%A" r)
        Assert.Equal(r.AccuracyA.Value - r.AccuracyB.Value, r.Difference.Value, 9)
