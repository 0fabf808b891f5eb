/// Builds small run directories in a temp folder, written field by field from data/schemas/run-directory.md (not
/// through the library's own writer), so loaders are tested against the schema rather than against themselves.
module QuantReason.Analysis.Tests.TestRuns

open System
open System.IO

type Spec =
    { Id: string
      Model: string
      /// None = full precision; Some(method, bits).
      Quant: (string * int) option
      /// Some(method, subset); `lora`/`qlora` write stage `align`, anything else its method as the stage.
      Training: (string * string) option
      /// training.base_run.
      BaseRun: string option
      /// A QAT run (training.stage `qat`): Some(init, objective, calibration, steps).
      Qat: (string * string * string option * int) option
      Dataset: string
      Status: string
      /// (problem_id, subject, correct)
      Answers: (string * string * bool) list
      /// (problem_id, num_steps, first_error_step, error_type, category)
      Labels: (string * int * int * string option * string option) list }

let spec id model quant answers =
    { Id = id; Model = model; Quant = quant; Training = None; BaseRun = None; Qat = None; Dataset = "math500"; Status = "complete"
      Answers = answers; Labels = [] }

let private q (s: string) = "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""
let private optQ = function Some s -> q s | None -> "null"

let manifestJson (s: Spec) =
    let quant =
        match s.Quant with
        | None -> "null"
        | Some(m, b) ->
            sprintf """{"method": %s, "bits": %d, "group_size": 128, "sym": true, "act_order": false, "calibration": null}""" (q m) b
    let training =
        match s.Training, s.Qat with
        | _, Some(init, objective, calibration, steps) ->
            sprintf """{"method": "qat", "stage": "qat", "subset": null, "pairs": null, "seed": 0, "init": %s, "objective": %s, "calibration": %s, "steps": %d, "hyperparameters": {"lr": 0.001}}"""
                (q init) (q objective) (optQ calibration) steps
        | None, None -> "null"
        | Some(m, sub), None ->
            let stage = if m = "lora" || m = "qlora" then "align" else m
            sprintf """{"stage": %s, "method": %s, "subset": %s, "pairs": 323, "seed": 1, "base_run": %s, "hyperparameters": {"beta": 0.1}}"""
                (q stage) (q m) (q sub) (optQ s.BaseRun)
    sprintf
        """{
  "schema_version": 1, "toolkit_version": "0.1.0", "created": "2026-01-01T00:00:00Z", "run_id": %s,
  "model": {"name": %s, "path": "/models/x", "digest": "ab12", "architecture": "llama", "params": null},
  "quantization": %s, "training": %s,
  "dataset": {"name": %s, "path": "data/x.jsonl", "digest": "%s", "size": %d},
  "prompt": {"name": "cot", "digest": "cd34"},
  "generation": {"max_new_tokens": 512, "temperature": 0.0, "top_p": 1.0, "top_k": 0, "seed": 0, "samples": 1},
  "backend": {"kind": "in-process", "url": null, "retries": 0, "timeouts": 0},
  "tags": {"family": "llama"}, "status": %s,
  "counts": {"problems": %d, "completed": %d, "correct": %d, "errors": 0}
}"""
        (q s.Id) (q s.Model) quant training (q s.Dataset) (String('d', 8) + s.Dataset) s.Answers.Length (q s.Status)
        s.Answers.Length s.Answers.Length (s.Answers |> List.filter (fun (_, _, c) -> c) |> List.length)

let predictionLine (id: string, subject: string, correct: bool) =
    sprintf
        """{"problem_id": %s, "sample": 0, "subject": %s, "level": 3, "prompt": "Solve %s", "output": "\\boxed{1}", "finish_reason": "stop", "extracted": "1", "rule": "boxed", "gold": %s, "correct": %b, "tokens_in": 10, "tokens_out": 20, "latency_ms": 12.5}"""
        (q id) (q subject) id (if correct then q "1" else q "2") correct

let labelLine (id: string, steps: int, first: int, etype: string option, category: string option) =
    sprintf
        """{"problem_id": %s, "sample": 0, "labeller": "verifier", "num_steps": %d, "first_error_step": %d, "error_type": %s, "error_type_v1": null, "category": %s, "explanation": "x", "confidence": 0.9}"""
        (q id) steps first (optQ etype) (optQ category)

/// A fresh temp folder for one test.
let tempRoot () =
    let dir = Path.Combine(Path.GetTempPath(), "qr-analysis-" + Guid.NewGuid().ToString("N"))
    Directory.CreateDirectory dir |> ignore
    dir

let write (root: string) (s: Spec) : string =
    let dir = Path.Combine(root, s.Id)
    Directory.CreateDirectory dir |> ignore
    File.WriteAllText(Path.Combine(dir, "manifest.json"), manifestJson s)
    File.WriteAllLines(Path.Combine(dir, "predictions.jsonl"), s.Answers |> List.map predictionLine)
    if not s.Labels.IsEmpty then File.WriteAllLines(Path.Combine(dir, "labels.jsonl"), s.Labels |> List.map labelLine)
    dir

/// n answers p0..p(n-1) on one subject, the first `correct` of them right.
let answers (subject: string) (n: int) (correct: int) =
    [ for i in 0 .. n - 1 -> sprintf "p%d" i, subject, i < correct ]
