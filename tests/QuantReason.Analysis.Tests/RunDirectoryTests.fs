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
