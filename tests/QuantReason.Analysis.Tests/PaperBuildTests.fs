namespace QuantReason.Analysis.Tests

open System.IO
open Xunit
open QuantReason
open QuantReason.Analysis
open QuantReason.Analysis.Tests.Chromium

type PaperBuildTests(fixture: ExporterFixture) =
    interface IClassFixture<ExporterFixture>

    static member private Options(runs: string, out: string) =
        { Runs = [ runs ]; Out = out; ProcessBench = None; Published = None }

    [<ChromiumFact>]
    member _.``paper build is byte-identical across two runs``() =
        let runs = Path.Combine(TestRuns.tempRoot (), "runs")
        Demo.generate runs |> ignore
        let outA, outB = TestRuns.tempRoot (), TestRuns.tempRoot ()
        let exporter = lazy fixture.Exporter
        let a = PaperBuild.build exporter (PaperBuildTests.Options(runs, outA))
        let b = PaperBuild.build exporter (PaperBuildTests.Options(runs, outB))
        let rel (root: string) (files: string list) = files |> List.map (fun f -> Path.GetRelativePath(root, f))
        Assert.Equal<string list>(rel outA a, rel outB b)
        for f in rel outA a do
            if f.EndsWith ".svg" || f.EndsWith ".tex" || f.EndsWith ".md" then
                Assert.True(
                    File.ReadAllBytes(Path.Combine(outA, f)) = File.ReadAllBytes(Path.Combine(outB, f)),
                    sprintf "%s differs between builds" f)
        // Every standard figure and table is there, PNGs non-empty, SVGs titled and labelled.
        for stem in [ "degradation"; "degradation-by-level"; "error-categories"; "error-types"; "survival-runs"; "ablation"; "all-errors-projection"; "published-deltas" ] do
            Assert.True(FileInfo(Path.Combine(outA, "figures", stem + ".png")).Length > 5000L, stem)
        for stem in [ "degradation"; "error-categories"; "hazards-runs"; "ablation"; "restoration"; "restoration-error-types"; "published-check" ] do
            Assert.Contains("\\toprule", File.ReadAllText(Path.Combine(outA, "tables", stem + ".tex")))
            Assert.StartsWith("**", File.ReadAllText(Path.Combine(outA, "tables", stem + ".md")))
        let svg = File.ReadAllText(Path.Combine(outA, "figures", "degradation.svg"))
        // The title names the model and dataset; configurations carry weight and activation bits.
        Assert.Contains("Accuracy of ", svg)
        Assert.Contains(" on stepmath by quantization", svg)
        Assert.Contains("W4A16", svg)
        Assert.Contains(">accuracy (%)<", svg)
        Assert.Contains(">configuration<", svg)

    [<Fact>]
    member _.``runs on two datasets fail before anything is rendered, naming the run``() =
        let root = TestRuns.tempRoot ()
        TestRuns.write root (TestRuns.spec "fp" "m" None (TestRuns.answers "A" 4 3)) |> ignore
        let odd = TestRuns.write root { TestRuns.spec "q" "m" (Some("gptq", 4)) (TestRuns.answers "A" 4 1) with Dataset = "gsm8k" }
        let started = ref false
        let exporter = lazy (started.Value <- true; failwith "must not start")
        let ex = Assert.Throws<QuantReasonException>(fun () -> PaperBuild.build exporter (PaperBuildTests.Options(root, TestRuns.tempRoot ())) |> ignore)
        Assert.Contains(odd, ex.Message)
        Assert.False(started.Value)

    [<Fact>]
    member _.``a folder without runs is an error naming it``() =
        let empty = TestRuns.tempRoot ()
        let ex = Assert.Throws<QuantReasonException>(fun () -> PaperBuild.plan (PaperBuildTests.Options(empty, empty)) |> ignore)
        Assert.Contains(empty, ex.Message)

    [<Fact>]
    member _.``restoration runs give the ablation and restoration tables, not labelled synthetic``() =
        let root = TestRuns.tempRoot ()
        let trained id subset correct =
            { TestRuns.spec id "m" (Some("rtn", 2)) (TestRuns.answers "A" 10 correct) with Training = Some subset; BaseRun = Some "rtn-w2" }
        [ TestRuns.spec "fp" "m" None (TestRuns.answers "A" 10 9)
          TestRuns.spec "rtn-w2" "m" (Some("rtn", 2)) (TestRuns.answers "A" 10 3)
          trained "rtn-w2+align" ("qlora", "all") 4
          trained "rtn-w2+dpo-all" ("dpo", "all") 7 ]
        |> List.iter (TestRuns.write root >> ignore)
        let _, tables = PaperBuild.plan (PaperBuildTests.Options(root, TestRuns.tempRoot ()))
        let byStem = Map tables
        for stem in [ "ablation"; "restoration"; "restoration-error-types" ] do
            Assert.True(byStem.ContainsKey stem, stem)
            Assert.DoesNotContain("SYNTHETIC", byStem.[stem].Caption)
        Assert.Equal<string list>([ "m"; "RTN W2A16 g128"; "90.0"; "30.0"; "40.0"; "70.0" ], byStem.["ablation"].Rows |> List.exactlyOne)
        // (70 − 30) / (90 − 30) of the gap
        Assert.Equal<string list>([ "40.0"; "70.0" ], byStem.["restoration"].Rows.[1].[7..8])
        Assert.Equal("66.7", byStem.["restoration"].Rows.[1].[12])

    [<Fact>]
    member _.``a QAT study folder feeds only the qat-findings table, which matches the committed one``() =
        let root = (Paths.repoRoot ()).Value
        let demo = Path.Combine(TestRuns.tempRoot (), "runs")
        Demo.generate demo |> ignore
        let qat = Path.Combine(root, "data", "runs", "reasoning-qat")
        // Two datasets side by side: the QAT study's runs stay out of the other tables instead of failing the build.
        let _, tables = PaperBuild.plan { Runs = [ demo; qat ]; Out = TestRuns.tempRoot (); ProcessBench = None; Published = None }
        let byStem = Map.ofList tables
        Assert.Equal(6, byStem.["qat-findings"].Rows.Length)
        Assert.DoesNotContain(byStem.["degradation"].Rows, fun r -> r.[1].StartsWith "QAT")
        let _, alone = PaperBuild.plan { Runs = [ qat ]; Out = TestRuns.tempRoot (); ProcessBench = None; Published = None }
        let committed = File.ReadAllText(Path.Combine(root, "paper", "tables", "qat-findings.md"))
        Assert.Equal(committed, Tables.toMarkdown (Map.ofList alone).["qat-findings"])
