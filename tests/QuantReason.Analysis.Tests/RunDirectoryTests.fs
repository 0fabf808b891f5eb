module QuantReason.Analysis.Tests.RunDirectoryTests

open System.IO
open Xunit
open QuantReason
open QuantReason.Analysis
open QuantReason.Analysis.Tests.TestRuns

[<Fact>]
let ``loads a run written in the schema`` () =
    let root = tempRoot ()
    let s =
        { spec "gptq-w4" "Llama-3.2-1B-Instruct" (Some("gptq", 4)) (answers "Algebra" 5 2) with
            Labels = [ "p2", 4, 1, Some "computational_error", Some "execution"; "p0", 3, -1, None, None ] }
    let run = RunDirectory.load (write root s)
    Assert.Equal("gptq-w4", run.Manifest.RunId)
    Assert.Equal(Some { Method = "gptq"; Bits = 4; GroupSize = Some 128; Sym = Some true; ActOrder = Some false }, run.Manifest.Quantization)
    Assert.Equal(5, run.Predictions.Length)
    Assert.Equal(2, run.Predictions |> List.filter (fun p -> p.Correct) |> List.length)
    Assert.Equal(Some 1, (run.Labels |> List.find (fun l -> l.ProblemId = "p2")).FirstErrorStep)
    Assert.Equal(None, (run.Labels |> List.find (fun l -> l.ProblemId = "p0")).FirstErrorStep)
    Assert.Equal("GPTQ W4A16", Config.label (Config.ofManifest run.Manifest))

let private errorOf (f: unit -> 'a) = Assert.Throws<QuantReasonException>(fun () -> f () |> ignore)

[<Fact>]
let ``missing manifest names the run`` () =
    let dir = Path.Combine(tempRoot (), "no-manifest")
    Directory.CreateDirectory dir |> ignore
    let ex = errorOf (fun () -> RunDirectory.load dir)
    Assert.Contains(dir, ex.Message)
    Assert.Contains("manifest.json", ex.Message)

[<Fact>]
let ``corrupt manifest names the run's manifest`` () =
    let dir = write (tempRoot ()) (spec "bad" "m" None (answers "A" 2 1))
    File.WriteAllText(Path.Combine(dir, "manifest.json"), """{"schema_version": 1, "run_id": """)
    let ex = errorOf (fun () -> RunDirectory.load dir)
    Assert.Contains(Path.Combine(dir, "manifest.json"), ex.Message)
    Assert.Contains("invalid JSON", ex.Message)

[<Fact>]
let ``unknown schema version is rejected naming the run`` () =
    let dir = write (tempRoot ()) (spec "future" "m" None (answers "A" 2 1))
    let file = Path.Combine(dir, "manifest.json")
    File.WriteAllText(file, File.ReadAllText(file).Replace("\"schema_version\": 1", "\"schema_version\": 7"))
    let ex = errorOf (fun () -> RunDirectory.load dir)
    Assert.Contains(dir, ex.Message)
    Assert.Contains("schema_version 7", ex.Message)

[<Fact>]
let ``manifest without a model name names the field`` () =
    let dir = write (tempRoot ()) (spec "noname" "m" None (answers "A" 2 1))
    let file = Path.Combine(dir, "manifest.json")
    File.WriteAllText(file, File.ReadAllText(file).Replace("\"name\": \"m\",", ""))
    let ex = errorOf (fun () -> RunDirectory.load dir)
    Assert.Contains("'name'", ex.Message)
    Assert.Contains(dir, ex.Message)

[<Fact>]
let ``a corrupt prediction line is reported with file and line`` () =
    let dir = write (tempRoot ()) (spec "torn" "m" None (answers "A" 3 1))
    let file = Path.Combine(dir, "predictions.jsonl")
    let lines = File.ReadAllLines file
    lines.[1] <- lines.[1].Substring(0, 20)
    File.WriteAllLines(file, lines)
    let ex = errorOf (fun () -> RunDirectory.load dir)
    Assert.Contains(file + ":2", ex.Message)

[<Fact>]
let ``an interrupted run forgives only its torn last line`` () =
    let dir = write (tempRoot ()) { spec "crashed" "m" None (answers "A" 3 1) with Status = "interrupted" }
    let file = Path.Combine(dir, "predictions.jsonl")
    let lines = File.ReadAllLines file
    File.WriteAllText(file, lines.[0] + "\n" + lines.[1] + "\n" + lines.[2].Substring(0, 30))
    Assert.Equal(2, (RunDirectory.load dir).Predictions.Length)

[<Fact>]
let ``a duplicated (problem, sample) pair is rejected`` () =
    let dir = write (tempRoot ()) (spec "dup" "m" None [ "p0", "A", true; "p0", "A", false ])
    let ex = errorOf (fun () -> RunDirectory.load dir)
    Assert.Contains("p0", ex.Message)

[<Fact>]
let ``runs on two datasets cannot be compared and the odd run is named`` () =
    let root = tempRoot ()
    let a = write root (spec "fp" "m" None (answers "A" 4 3))
    let b = write root { spec "gsm" "m" (Some("rtn", 4)) (answers "A" 4 1) with Dataset = "gsm8k" }
    let runs = RunDirectory.loadMany [ a; b ]
    let ex = errorOf (fun () -> Degradation.table runs)
    Assert.Contains(b, ex.Message)
    Assert.Contains("gsm8k", ex.Message)
    Assert.Contains("math500", ex.Message)

[<Fact>]
let ``loadAll finds run folders in name order`` () =
    let root = tempRoot ()
    write root (spec "b-run" "m" None (answers "A" 1 1)) |> ignore
    write root (spec "a-run" "m" (Some("rtn", 4)) (answers "A" 1 0)) |> ignore
    Directory.CreateDirectory(Path.Combine(root, "not-a-run")) |> ignore
    Assert.Equal<string list>([ "a-run"; "b-run" ], RunDirectory.loadAll root |> List.map (fun r -> r.Manifest.RunId))

[<Fact>]
let ``a label with only a v1 type is mapped to v2`` () =
    let dir = write (tempRoot ()) { spec "v1" "m" None (answers "A" 2 0) with Labels = [ "p0", 3, 1, None, None ] }
    let file = Path.Combine(dir, "labels.jsonl")
    File.WriteAllText(file, File.ReadAllText(file).Replace("\"error_type_v1\": null", "\"error_type_v1\": \"symbol_error\""))
    let label = (RunDirectory.load dir).Labels.Head
    Assert.Equal(Some "symbolic_manipulation_error", label.ErrorType)

[<Fact>]
let ``a failed request's line is no answer: left out of the predictions and of every accuracy`` () =
    let root = tempRoot ()
    let dir = write root (spec "partial" "m" None (answers "A" 4 3))
    // the line an earlier writer recorded for a request the server never answered
    File.AppendAllText(
        Path.Combine(dir, "predictions.jsonl"),
        """{"problem_id": "p4", "sample": 0, "subject": "A", "level": 3, "prompt": "Solve p4", "output": "connection refused", "finish_reason": "error", "extracted": null, "rule": null, "gold": "1", "correct": false, "tokens_in": 0, "tokens_out": 0, "latency_ms": 1.0}"""
        + "\n")
    let run = RunDirectory.load dir
    Assert.Equal(4, run.Predictions.Length)
    Assert.Equal<string list>([ "p4" ], run.Failed |> List.map (fun p -> p.ProblemId))
    let row = Degradation.table [ run ] |> List.exactlyOne
    Assert.Equal((4, 3, 75.0), (row.Samples, row.Correct, row.Score.Value))

/// The C# writer (QuantReason.Evaluation.Runs.RunDirectory, what `eval`, `study` and `train` write through) and the
/// F# loader must agree on every field the analysis reads.
[<Fact>]
let ``a run written by the C# run directory loads with the F# loader field for field`` () =
    let dir = Path.Combine(tempRoot (), "cs-run")
    let hex (c: char) = System.String(c, 64)
    let manifest =
        QuantReason.Evaluation.Runs.RunManifest(
            RunId = "cs-run",
            Model = QuantReason.Evaluation.Runs.ModelInfo("stepmath-ref", "/m", hex 'a', "llama", System.Nullable 760320L),
            Quantization = QuantReason.Evaluation.Runs.QuantizationInfo("gptq", 4, 32, true, false, null),
            Training = QuantReason.Evaluation.Runs.TrainingInfo("dpo", "conceptual", System.Nullable 40, System.Nullable 1),
            Dataset = QuantReason.Evaluation.Runs.DatasetInfo("stepmath-test", "/d.jsonl", hex 'b', 3),
            Prompt = QuantReason.Evaluation.Runs.PromptInfo("step-tags", hex 'c'),
            Generation = QuantReason.Evaluation.Runs.GenerationInfo(96, 0.0, 1.0, 0, 0, 1),
            Backend = QuantReason.Evaluation.Runs.BackendInfo("in-process", null, 0, 0),
            Tags = readOnlyDict [ "study", "stepmath"; "configuration", "gptq-w4g32" ])
    let prediction (id: string) (level: int) (correct: bool) finish =
        QuantReason.Evaluation.Runs.PredictionRecord(
            ProblemId = id, Gold = "7", Sample = 0, Subject = "arithmetic", Level = System.Nullable level,
            Prompt = "3+4", Output = (if correct then "\\boxed{7}" else "\\boxed{8}"), FinishReason = finish,
            Extracted = (if correct then "7" else "8"), Correct = correct, TokensIn = 5, TokensOut = 11 + level)
    let label (id: string) first etype category =
        QuantReason.Evaluation.Runs.LabelRecord(id, 0, "verifier", 2, first, etype, null, category, "x", 1.0)
    do
        use run = QuantReason.Evaluation.Runs.RunDirectory.OpenOrCreate(dir, manifest)
        run.Append(prediction "s/1" 1 true QuantReason.Evaluation.Runs.FinishReason.Stop)
        run.Append(prediction "s/2" 2 false QuantReason.Evaluation.Runs.FinishReason.Length)
        run.Fail("s/3", 0, "connection refused")
        run.WriteLabels([ label "s/1" -1 null null; label "s/2" 1 "computational_error" "execution" ]) |> ignore
    let loaded = RunDirectory.load dir
    let m = loaded.Manifest
    Assert.Equal((1, "cs-run", "running", 1), (m.SchemaVersion, m.RunId, m.Status, m.Samples))
    Assert.Equal({ Name = "stepmath-ref"; Architecture = Some "llama"; Digest = Some(hex 'a'); Params = Some 760320L }, m.Model)
    Assert.Equal(Some { Method = "gptq"; Bits = 4; GroupSize = Some 32; Sym = Some true; ActOrder = Some false }, m.Quantization)
    Assert.Equal(Some { Training.Method = "dpo"; Stage = "dpo"; Subset = "conceptual"; Pairs = Some 40; BaseRun = None
                        Init = None; Objective = None; Calibration = None; Steps = None }, m.Training)
    Assert.Equal({ DatasetInfo.Name = "stepmath-test"; Digest = Some(hex 'b'); Size = Some 3 }, m.Dataset)
    Assert.Equal<Map<string, string>>(Map [ "study", "stepmath"; "configuration", "gptq-w4g32" ], m.Tags)
    Assert.Equal<Prediction list>(
        [ { ProblemId = "s/1"; Sample = 0; Subject = Some "arithmetic"; Level = Some 1; FinishReason = "stop"
            Extracted = Some "7"; Gold = "7"; Correct = true; TokensOut = 12 }
          { ProblemId = "s/2"; Sample = 0; Subject = Some "arithmetic"; Level = Some 2; FinishReason = "length"
            Extracted = Some "8"; Gold = "7"; Correct = false; TokensOut = 13 } ],
        loaded.Predictions)
    // the failed request was never written: nothing to count as wrong
    Assert.Empty(loaded.Failed)
    Assert.Equal<Label list>(
        [ { ProblemId = "s/1"; Sample = 0; Labeller = "verifier"; NumSteps = 2; FirstErrorStep = None; ErrorType = None
            Category = None; Confidence = Some 1.0 }
          { ProblemId = "s/2"; Sample = 0; Labeller = "verifier"; NumSteps = 2; FirstErrorStep = Some 1
            ErrorType = Some "computational_error"; Category = Some "execution"; Confidence = Some 1.0 } ],
        loaded.Labels)
    // the lock is gone with the writer
    Assert.False(File.Exists(Path.Combine(dir, ".lock")))
