namespace QuantReason.Analysis

open System
open System.IO
open System.Text.Json
open QuantReason

/// Loads run directories (manifest.json, predictions.jsonl, labels.jsonl) into typed records, rejecting what the
/// schema does not allow with an error that names the run directory and the file:line. A line for a failed request
/// (finish_reason `error`) is no answer: it goes to `Failed`, never into the predictions that accuracies count.
module RunDirectory =

    let supportedSchemaVersion = 1

    let private readManifest (runPath: string) : Manifest =
        let file = Path.Combine(runPath, "manifest.json")
        if not (File.Exists file) then
            raise (QuantReasonException("missing manifest.json: not a run directory", runPath))
        use doc = JsonRead.parse file (File.ReadAllText file)
        let root = doc.RootElement
        if root.ValueKind <> JsonValueKind.Object then JsonRead.fail file "manifest must be a JSON object"
        let version = JsonRead.int file "schema_version" root
        if version <> supportedSchemaVersion then
            JsonRead.fail file (sprintf "unknown schema_version %d (this toolkit reads version %d)" version supportedSchemaVersion)
        let model = JsonRead.req file "model" root
        let dataset = JsonRead.req file "dataset" root
        let where field = sprintf "%s (%s)" file field
        { SchemaVersion = version
          RunId = JsonRead.str file "run_id" root
          Model =
            { Name = JsonRead.str (where "model") "name" model
              Architecture = JsonRead.optStr (where "model") "architecture" model
              Digest = JsonRead.optStr (where "model") "digest" model
              Params = JsonRead.opt "params" model |> Option.map (fun p -> p.GetInt64()) }
          Quantization =
            JsonRead.opt "quantization" root
            |> Option.map (fun q ->
                let w = where "quantization"
                { Method = JsonRead.str w "method" q
                  Bits = JsonRead.int w "bits" q
                  GroupSize = JsonRead.optInt w "group_size" q
                  Sym = JsonRead.optBool w "sym" q
                  ActOrder = JsonRead.optBool w "act_order" q })
          Training =
            JsonRead.opt "training" root
            |> Option.map (fun t ->
                let w = where "training"
                let method = JsonRead.str w "method" t
                { Method = method
                  // Runs written before `stage` existed: adapters alone are an alignment, anything else its own stage.
                  Stage =
                    JsonRead.optStr w "stage" t
                    |> Option.defaultValue (if method = "lora" || method = "qlora" then "align" else method)
                  Subset = JsonRead.optStr w "subset" t |> Option.defaultValue "all"
                  Pairs = JsonRead.optInt w "pairs" t
                  BaseRun = JsonRead.optStr w "base_run" t
                  Init = JsonRead.optStr w "init" t
                  Objective = JsonRead.optStr w "objective" t
                  Calibration = JsonRead.optStr w "calibration" t
                  Steps = JsonRead.optInt w "steps" t })
          Dataset =
            { Name = JsonRead.str (where "dataset") "name" dataset
              Digest = JsonRead.optStr (where "dataset") "digest" dataset
              Size = JsonRead.optInt (where "dataset") "size" dataset }
          Samples =
            JsonRead.opt "generation" root
            |> Option.bind (JsonRead.optInt (where "generation") "samples")
            |> Option.defaultValue 1
          Tags =
            match JsonRead.opt "tags" root with
            | Some t when t.ValueKind = JsonValueKind.Object ->
                t.EnumerateObject() |> Seq.map (fun p -> p.Name, p.Value.ToString()) |> Map.ofSeq
            | _ -> Map.empty
          Status = JsonRead.str file "status" root }

    /// Non-empty lines of a .jsonl file with their 1-based line numbers. A run that is not `complete` may end in a
    /// line torn by a crash (the writer flushes line by line); only that last line is forgiven.
    let private jsonLines (file: string) (forgiveTornTail: bool) (read: string -> JsonElement -> 'a) : 'a list =
        let lines = File.ReadAllLines file
        let last = lines |> Array.tryFindIndexBack (fun l -> not (String.IsNullOrWhiteSpace l))
        [ for i in 0 .. lines.Length - 1 do
              let line = lines.[i]
              if not (String.IsNullOrWhiteSpace line) then
                  let where = sprintf "%s:%d" file (i + 1)
                  let parsed =
                      try
                          use doc = JsonDocument.Parse line
                          Some(read where doc.RootElement)
                      with
                      | :? JsonException as ex ->
                          if forgiveTornTail && Some i = last then None
                          else raise (QuantReasonException(sprintf "invalid JSON: %s" ex.Message, where))
                  match parsed with
                  | Some p -> yield p
                  | None -> () ]

    let private readPrediction (where: string) (e: JsonElement) : Prediction =
        { ProblemId = JsonRead.str where "problem_id" e
          Sample = JsonRead.int where "sample" e
          Subject = JsonRead.optStr where "subject" e
          Level = JsonRead.optInt where "level" e
          FinishReason = JsonRead.str where "finish_reason" e
          Extracted = JsonRead.optStr where "extracted" e
          Gold = JsonRead.str where "gold" e
          Correct = JsonRead.bool where "correct" e
          TokensOut = JsonRead.optInt where "tokens_out" e |> Option.defaultValue 0 }

    let private readLabel (where: string) (e: JsonElement) : Label =
        let steps = JsonRead.int where "num_steps" e
        let first = JsonRead.int where "first_error_step" e
        if steps < 0 then JsonRead.fail where (sprintf "num_steps %d is negative" steps)
        // num_steps itself is the answer segment after the last step (the first error is in the final answer)
        if first < -1 || (first > steps && steps > 0) then
            JsonRead.fail where (sprintf "first_error_step %d outside -1..%d" first steps)
        { ProblemId = JsonRead.str where "problem_id" e
          Sample = JsonRead.int where "sample" e
          Labeller = JsonRead.str where "labeller" e
          NumSteps = steps
          FirstErrorStep = (if first < 0 then None else Some first)
          // A labeller that writes only the v1 taxonomy still lands in the v2 bins, through the crosswalk.
          ErrorType =
            JsonRead.optStr where "error_type" e
            |> Option.orElse (JsonRead.optStr where "error_type_v1" e |> Option.map Taxonomy.toV2)
          Category = JsonRead.optStr where "category" e
          Confidence = JsonRead.optFloat where "confidence" e }

    /// Loads one run directory.
    let load (path: string) : Run =
        let runPath = Path.GetFullPath path
        if not (Directory.Exists runPath) then raise (QuantReasonException("run directory does not exist", runPath))
        let manifest = readManifest runPath
        let forgive = manifest.Status <> "complete"
        let predictionsFile = Path.Combine(runPath, "predictions.jsonl")
        if not (File.Exists predictionsFile) then raise (QuantReasonException("missing predictions.jsonl", runPath))
        let predictions = jsonLines predictionsFile forgive readPrediction
        predictions
        |> List.countBy (fun p -> p.ProblemId, p.Sample)
        |> List.tryFind (fun (_, n) -> n > 1)
        |> Option.iter (fun ((id, s), _) ->
            raise (QuantReasonException(sprintf "problem '%s' sample %d appears twice" id s, predictionsFile)))
        let labelsFile = Path.Combine(runPath, "labels.jsonl")
        let labels = if File.Exists labelsFile then jsonLines labelsFile forgive readLabel else []
        let failed, answered = predictions |> List.partition (fun p -> p.FinishReason = "error")
        { Path = runPath; Manifest = manifest; Predictions = answered; Failed = failed; Labels = labels }

    /// Loads several run directories, in the order given.
    let loadMany (paths: string seq) : Run list = paths |> Seq.map load |> List.ofSeq

    /// Loads every sub-folder of `root` that holds a manifest.json, sorted by name.
    let loadAll (root: string) : Run list =
        if not (Directory.Exists root) then raise (QuantReasonException("runs folder does not exist", root))
        Directory.GetDirectories root
        |> Array.filter (fun d -> File.Exists(Path.Combine(d, "manifest.json")))
        |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b))
        |> Seq.map load
        |> List.ofSeq

    /// Ensures all runs evaluate the same dataset (name, and digest where both record one); a comparison across
    /// datasets is meaningless, so the first run that differs is named.
    let requireOneDataset (runs: Run list) : DatasetInfo =
        match runs with
        | [] -> raise (QuantReasonException("no runs to compare", "runs"))
        | first :: rest ->
            for r in rest do
                let a, b = first.Manifest.Dataset, r.Manifest.Dataset
                let digestsDiffer =
                    match a.Digest, b.Digest with
                    | Some x, Some y -> not (String.Equals(x, y, StringComparison.OrdinalIgnoreCase))
                    | _ -> false
                if a.Name <> b.Name || digestsDiffer then
                    raise (
                        QuantReasonException(
                            sprintf "run evaluates dataset '%s'%s but run %s evaluates '%s'%s; one comparison needs one dataset"
                                b.Name (b.Digest |> Option.map (fun d -> " (" + d.Substring(0, min 12 d.Length) + ")") |> Option.defaultValue "")
                                first.Path a.Name (a.Digest |> Option.map (fun d -> " (" + d.Substring(0, min 12 d.Length) + ")") |> Option.defaultValue ""),
                            r.Path))
            first.Manifest.Dataset
