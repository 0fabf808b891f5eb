namespace QuantReason.Analysis

open System
open System.IO
open System.Text
open System.Text.Json
open MathNet.Numerics.Random

/// SYNTHETIC demo input for the notebooks until `data/runs/stepmath-demo` (produced by the CLI from the reference
/// model) exists. Every number it yields is made up by a seeded simulation and must never be presented as a
/// result: its manifests carry the tag `"synthetic": "true"` and its toolkit_version says `synthetic-demo`.
///
/// The simulation: 240 StepMath-like problems over six kinds, each with a difficulty; two models of different
/// ability; P(correct) = logistic(ability − difficulty − penalty), where the penalty grows as bits fall and depends on
/// the kind; restoration (DPO) runs close part of the penalty according to the error-type subset trained on. Each
/// failure gets a verifier label: its first wrong step from a constant per-step hazard, and an error type whose mix
/// moves from conceptual (early steps) to execution errors (late steps) and towards execution under quantization.
module Demo =

    let seed = 20250103
    let problems = 240
    let kinds = [| "arithmetic"; "fractions"; "linear_equations"; "percentages"; "exponents"; "word_problems" |]
    /// How strongly each kind suffers from quantization (arithmetic-heavy kinds most).
    let private sensitivity = [| 1.5; 1.3; 0.9; 1.1; 1.2; 0.7 |]
    let models = [ "demo-1B", 0.3; "demo-8B", 1.5 ]
    /// (method, bits, penalty).
    let quantizations = [ "gptq", 4, 0.35; "awq", 4, 0.30; "rtn", 3, 1.1 ]
    /// Share of the quantization penalty format alignment (`aligned`) and DPO on each subset (the study's Settings
    /// 0–3) remove.
    let subsets = [ "aligned", 0.15; "all", 0.75; "conceptual", 0.30; "method", 0.25; "execution", 0.45 ]

    let private logistic x = 1.0 / (1.0 + exp (-x))

    /// Draws an index with probability proportional to the weights.
    let private pick (rng: Random) (weights: float[]) =
        let total = Array.sum weights
        let u = rng.NextDouble() * total
        let rec go i acc = if i >= weights.Length - 1 || acc + weights.[i] > u then i else go (i + 1) (acc + weights.[i])
        go 0 0.0

    let private types = Taxonomy.v2Types |> List.map fst |> Array.ofList

    /// Type weights at relative position `pos` (0 = first step, 1 = last) for a run with quantization `q` in 0..1.
    let private typeWeights (pos: float) (q: float) =
        // conceptual_misunderstanding, contextual_oversight, procedural_error, formula_rule_error,
        // computational_error, symbolic_manipulation_error, logical_reasoning_error
        [| 3.0 * (1.0 - pos) + 0.3; 1.2 * (1.0 - pos) + 0.2; 1.0; 1.2; 0.6 + 2.5 * pos + 2.0 * q; 0.4 + 1.2 * pos + 1.0 * q; 1.0 + 0.8 * pos |]

    let private write (dir: string) (name: string) (writeBody: Utf8JsonWriter -> unit) =
        use stream = File.Create(Path.Combine(dir, name))
        use w = new Utf8JsonWriter(stream, JsonWriterOptions(Indented = true))
        writeBody w

    let private writeLines (path: string) (lines: string list) =
        File.WriteAllText(path, String.Join("\n", lines) + "\n")

    let private jsonLine (build: Utf8JsonWriter -> unit) =
        use stream = new MemoryStream()
        (use w = new Utf8JsonWriter(stream)
         w.WriteStartObject()
         build w
         w.WriteEndObject())
        Encoding.UTF8.GetString(stream.ToArray())

    let private str (w: Utf8JsonWriter) (k: string) (v: string option) =
        match v with
        | Some s -> w.WriteString(k, s)
        | None -> w.WriteNull k

    /// Writes the synthetic run set into `root` (one folder per run) and returns the run folders, sorted.
    let generate (root: string) : string list =
        Directory.CreateDirectory root |> ignore
        let rng = MersenneTwister(seed)
        let difficulty = Array.init problems (fun _ -> rng.NextDouble() * 3.0 - 1.0)
        let kindOf i = i % kinds.Length
        let configs =
            [ yield None, None
              for q in quantizations do
                  yield Some q, None
              for s in subsets do
                  yield Some(quantizations.Head), Some s ]
        [ for modelName, ability in models do
              for quant, training in configs do
                  let runId =
                      [ yield modelName
                        match quant with
                        | Some(m, b, _) -> yield sprintf "%s-w%d" m b
                        | None -> yield "fp"
                        match training with
                        | Some("aligned", _) -> yield "aligned"
                        | Some(s, _) -> yield "dpo-" + s
                        | None -> () ]
                      |> String.concat "-"
                  let dir = Path.Combine(root, runId)
                  Directory.CreateDirectory dir |> ignore
                  let penalty, qLevel =
                      match quant, training with
                      | None, _ -> 0.0, 0.0
                      | Some(_, _, p), None -> p, p
                      | Some(_, _, p), Some(_, recovered) -> p * (1.0 - recovered), p * (1.0 - recovered)
                  let outcomes =
                      [ for i in 0 .. problems - 1 do
                            let k = kindOf i
                            let p = logistic (ability - difficulty.[i] - penalty * sensitivity.[k] * 2.0)
                            let correct = rng.NextDouble() < p
                            let steps = 3 + rng.Next(7)
                            let first, etype =
                                if correct then -1, None
                                else
                                    // First wrong step: geometric with hazard 0.3, truncated to the chain.
                                    let weights = Array.init steps (fun j -> 0.7 ** float j * 0.3)
                                    let j = pick rng weights
                                    let pos = if steps > 1 then float j / float (steps - 1) else 0.0
                                    j, Some types.[pick rng (typeWeights pos (min 1.0 qLevel))]
                            yield i, k, correct, steps, first, etype ]
                  let correctCount = outcomes |> List.filter (fun (_, _, c, _, _, _) -> c) |> List.length
                  write dir "manifest.json" (fun w ->
                      w.WriteStartObject()
                      w.WriteNumber("schema_version", 1)
                      w.WriteString("toolkit_version", "synthetic-demo")
                      w.WriteString("created", "2026-01-01T00:00:00Z")
                      w.WriteString("run_id", runId)
                      w.WriteStartObject "model"
                      w.WriteString("name", modelName)
                      w.WriteString("path", "synthetic")
                      w.WriteString("digest", String('0', 64))
                      w.WriteString("architecture", "llama")
                      w.WriteNull "params"
                      w.WriteEndObject()
                      match quant with
                      | Some(m, b, _) ->
                          w.WriteStartObject "quantization"
                          w.WriteString("method", m)
                          w.WriteNumber("bits", b)
                          w.WriteNumber("group_size", 128)
                          w.WriteBoolean("sym", true)
                          w.WriteBoolean("act_order", false)
                          w.WriteNull "calibration"
                          w.WriteEndObject()
                      | None -> w.WriteNull "quantization"
                      match training with
                      | Some(s, _) ->
                          let m, b, _ = quant.Value
                          w.WriteStartObject "training"
                          if s = "aligned" then
                              w.WriteString("stage", "align")
                              w.WriteString("method", "qlora")
                          else
                              w.WriteString("stage", "dpo")
                              w.WriteString("method", "dpo")
                              w.WriteString("subset", s)
                              w.WriteNumber("pairs", 545)
                          w.WriteString("base_run", sprintf "%s-%s-w%d" modelName m b)
                          w.WriteNumber("seed", seed)
                          w.WriteEndObject()
                      | None -> w.WriteNull "training"
                      w.WriteStartObject "dataset"
                      w.WriteString("name", "stepmath")
                      w.WriteString("path", "synthetic")
                      w.WriteString("digest", String('0', 64))
                      w.WriteNumber("size", problems)
                      w.WriteEndObject()
                      w.WriteStartObject "prompt"
                      w.WriteString("name", "synthetic")
                      w.WriteString("digest", String('0', 64))
                      w.WriteEndObject()
                      w.WriteStartObject "generation"
                      w.WriteNumber("max_new_tokens", 512)
                      w.WriteNumber("temperature", 0)
                      w.WriteNumber("top_p", 1)
                      w.WriteNumber("top_k", 0)
                      w.WriteNumber("seed", seed)
                      w.WriteNumber("samples", 1)
                      w.WriteEndObject()
                      w.WriteStartObject "backend"
                      w.WriteString("kind", "in-process")
                      w.WriteNull "url"
                      w.WriteNumber("retries", 0)
                      w.WriteNumber("timeouts", 0)
                      w.WriteEndObject()
                      w.WriteStartObject "tags"
                      w.WriteString("synthetic", "true")
                      w.WriteEndObject()
                      w.WriteString("status", "complete")
                      w.WriteStartObject "counts"
                      w.WriteNumber("problems", problems)
                      w.WriteNumber("completed", problems)
                      w.WriteNumber("correct", correctCount)
                      w.WriteNumber("errors", 0)
                      w.WriteEndObject()
                      w.WriteEndObject())
                  outcomes
                  |> List.map (fun (i, k, correct, _, _, _) ->
                      jsonLine (fun w ->
                          w.WriteString("problem_id", sprintf "demo-%03d" i)
                          w.WriteNumber("sample", 0)
                          w.WriteString("subject", kinds.[k])
                          w.WriteNumber("level", 1 + i % 5)
                          w.WriteString("prompt", "synthetic")
                          w.WriteString("output", "synthetic")
                          w.WriteString("finish_reason", "stop")
                          w.WriteString("extracted", (if correct then "1" else "2"))
                          w.WriteString("rule", "boxed")
                          w.WriteString("gold", "1")
                          w.WriteBoolean("correct", correct)
                          w.WriteNumber("tokens_in", 100)
                          w.WriteNumber("tokens_out", 200)
                          w.WriteNumber("latency_ms", 0)))
                  |> writeLines (Path.Combine(dir, "predictions.jsonl"))
                  outcomes
                  |> List.map (fun (i, _, _, steps, first, etype) ->
                      jsonLine (fun w ->
                          w.WriteString("problem_id", sprintf "demo-%03d" i)
                          w.WriteNumber("sample", 0)
                          w.WriteString("labeller", "verifier")
                          w.WriteNumber("num_steps", steps)
                          w.WriteNumber("first_error_step", first)
                          str w "error_type" etype
                          w.WriteNull "error_type_v1"
                          str w "category" (etype |> Option.bind Taxonomy.categoryOf)
                          w.WriteString("explanation", "synthetic")
                          w.WriteNumber("confidence", 1)))
                  |> writeLines (Path.Combine(dir, "labels.jsonl"))
                  yield dir ]
        |> List.sort

    /// The synthetic set, generated into a fresh temp folder.
    let synthetic () : Run list =
        let dir = Path.Combine(Path.GetTempPath(), sprintf "quantreason-synthetic-demo-%d" seed, Guid.NewGuid().ToString("N"))
        generate dir |> RunDirectory.loadMany

    /// `data/runs/stepmath-demo` in the repository, when the CLI has produced it.
    let realDemoFolder () : string option =
        Paths.repoRoot ()
        |> Option.map (fun r -> Path.Combine(r, "data", "runs", "stepmath-demo"))
        |> Option.filter Directory.Exists

    /// The notebooks' default input: the real demo runs when they exist, else this synthetic set generated into a
    /// temp folder. The flag says which, so notebooks can label synthetic numbers as such.
    let runsOrSynthetic () : Run list * bool =
        match realDemoFolder () with
        | Some folder -> RunDirectory.loadAll folder, false
        | None -> synthetic (), true

    /// Like `runsOrSynthetic`, for analyses of restoration (runs whose `training.stage` is `dpo`): the synthetic set
    /// while the real folder holds no restoration runs yet.
    let restorationRunsOrSynthetic () : Run list * bool =
        match runsOrSynthetic () with
        | runs, false when runs |> List.exists (fun r -> r.Manifest.Training |> Option.exists (fun t -> t.Stage = "dpo")) -> runs, false
        | runs, true -> runs, true
        | _ -> synthetic (), true

    /// Whether a run came from this synthetic generator.
    let isSynthetic (run: Run) = run.Manifest.Tags |> Map.tryFind "synthetic" = Some "true"
