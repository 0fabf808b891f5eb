namespace QuantReason.Analysis

open QuantReason

/// One restored (or format-aligned) run measured against full precision and the quantized configuration it restores,
/// all three over the same problems, so every difference is paired.
type RestorationRow =
    { Model: string
      /// The quantized configuration restored, as the tables name it (`RTN W2A16 g32`).
      Configuration: string
      /// Its sort key (the base run's configuration, untrained).
      Config: Config
      BaseRun: string
      RunId: string
      /// `align` (format alignment) or `dpo`.
      Stage: string
      /// The study's column: `Aligned`, `Setting 0 (all)` … `Setting 3 (execution)`, or `Subset <type>`.
      Setting: string
      Pairs: int option
      /// (problem id, sample) keys answered in all three runs: every figure of the row is over these.
      Problems: int
      Fp: Estimate
      Quantized: Estimate
      Score: Estimate
      /// Score − quantized in points, paired bootstrap over problems.
      Gain: Estimate
      /// Capability recovered, (score − quantized) / (FP − quantized), paired bootstrap over problems; NaN without a gap.
      Recovered: Estimate
      /// First errors by type among the failures: (type, in the quantized run, in this run), in taxonomy order.
      FirstErrors: (string * int * int) list }

/// Restoration analysis (the study's repair section): pairs each `training` run with its quantized base (manifest
/// `training.base_run`, else the `tags.configuration` before `+`, else the untrained run of the same method and bits)
/// and with full precision, and measures what it won back with intervals that resample problems, not runs.
module Restoration =

    let level = 0.95
    let seed = 20250103
    let resamples = 2000

    /// The study's ablation settings: the category of the pairs' first errors → setting number.
    let settings = [ "all", 0; "conceptual", 1; "method", 2; "execution", 3 ]

    let settingName (stage: string) (subset: string) =
        if stage = "align" then "Aligned"
        else
            match settings |> List.tryFind (fun (s, _) -> s = subset) with
            | Some(s, i) -> sprintf "Setting %d (%s)" i s
            | None -> "Subset " + subset

    /// Aligned, Settings 0–3, then single-type subsets by name.
    let settingOrder (setting: string) =
        if setting = "Aligned" then (-1, "")
        else
            match settings |> List.tryFind (fun (s, i) -> setting = sprintf "Setting %d (%s)" i s) with
            | Some(_, i) -> (i, "")
            | None -> (100, setting)

    let private configurationTag (m: Manifest) = m.Tags |> Map.tryFind "configuration"

    let private isRestoration (run: Run) =
        run.Manifest.Training |> Option.exists (fun t -> t.Stage = "align" || t.Stage = "dpo")

    /// Candidates over the run's own dataset first: a study that also evaluated a training split holds two FP runs.
    let private sameDatasetFirst (run: Run) (candidates: Run list) =
        candidates |> List.sortBy (fun r -> r.Manifest.Dataset.Name <> run.Manifest.Dataset.Name)

    /// The untrained quantized run a training run restores; a DPO run that names its aligned run as base leads on
    /// to that run's base.
    let rec baseOf (runs: Run list) (run: Run) : Run =
        let m = run.Manifest
        let t = m.Training |> Option.defaultWith (fun () -> raise (QuantReasonException("not a training run: no base to restore", run.Path)))
        let found =
            match t.BaseRun with
            | Some id ->
                runs
                |> List.tryFind (fun r -> r.Manifest.RunId = id && r.Manifest.RunId <> m.RunId)
                |> Option.defaultWith (fun () ->
                    raise (QuantReasonException(sprintf "base run '%s' of this %s run is not among the runs given" id t.Stage, run.Path)))
            | None ->
                let untrained =
                    runs |> List.filter (fun r -> r.Manifest.Training.IsNone && r.Manifest.Model.Name = m.Model.Name) |> sameDatasetFirst run
                let key = { Config.ofManifest m with Training = None }
                configurationTag m
                |> Option.map (fun c -> c.Split('+').[0])
                |> Option.bind (fun c -> untrained |> List.tryFind (fun r -> configurationTag r.Manifest = Some c))
                |> Option.orElseWith (fun () -> untrained |> List.tryFind (fun r -> Config.ofManifest r.Manifest = key))
                |> Option.defaultWith (fun () ->
                    raise (QuantReasonException(sprintf "no untrained %s run among the runs: the configuration this run restores is needed (set training.base_run)" (Config.label key), run.Path)))
        if found.Manifest.Training.IsSome then baseOf runs found else found

    /// The full-precision, untrained run of the same model.
    let fpOf (runs: Run list) (run: Run) : Run =
        let model = run.Manifest.Model.Name
        runs
        |> sameDatasetFirst run
        |> List.tryFind (fun r -> r.Manifest.Model.Name = model && Config.isFullPrecision (Config.ofManifest r.Manifest))
        |> Option.defaultWith (fun () ->
            raise (QuantReasonException(sprintf "no full-precision run of %s among the runs: recovery is measured against it" model, run.Path)))

    /// The (problem id, sample) keys every run answered, sorted, and each run's correctness on them in that order.
    let paired (runs: Run list) : (string * int) list * bool[] list =
        let outcomes = runs |> List.map (fun r -> r.Predictions |> List.map (fun p -> (p.ProblemId, p.Sample), p.Correct) |> Map.ofList)
        let keys =
            outcomes
            |> List.map (Map.keys >> Set.ofSeq)
            |> Set.intersectMany
            |> Set.toList
        keys, outcomes |> List.map (fun o -> keys |> List.map (fun k -> o.[k]) |> Array.ofList)

    /// A problem's three outcomes as one of 8 patterns: FP right = 4, quantized right = 2, restored right = 1.
    let private pattern (fp: bool, quantized: bool, restored: bool) =
        (if fp then 4 else 0) + (if quantized then 2 else 0) + (if restored then 1 else 0)

    /// How many problems show each pattern [8]: every statistic here is a function of these counts.
    let patternCounts (outcomes: (bool * bool * bool)[]) : int[] =
        let counts = Array.zeroCreate 8
        for o in outcomes do
            counts.[pattern o] <- counts.[pattern o] + 1
        counts

    let private right (bit: int) (counts: int[]) =
        let mutable k = 0
        for p in 0 .. 7 do
            if p &&& bit <> 0 then k <- k + counts.[p]
        float k

    /// Restored − quantized accuracy in points.
    let gain (counts: int[]) = 100.0 * (right 1 counts - right 2 counts) / float (Array.sum counts)

    /// (restored − quantized) / (FP − quantized); NaN when FP and quantized tie.
    let recovered (counts: int[]) =
        let f, q, r = right 4 counts, right 2 counts, right 1 counts
        if f = q then nan else (r - q) / (f - q)

    /// Percentile bootstrap of several statistics over the same resamples of problems (seeded): each resample draws
    /// problems with replacement, a problem's three outcomes together, and only its pattern counts are kept.
    let pairedIntervals (statistics: (int[] -> float) list) (outcomes: (bool * bool * bool)[]) : Estimate list =
        let patterns = outcomes |> Array.map pattern
        let full = patternCounts outcomes
        let rng = MathNet.Numerics.Random.MersenneTwister(seed, false)
        let draws = Array.init resamples (fun _ -> Array.zeroCreate<float> statistics.Length)
        let counts = Array.zeroCreate 8
        for b in 0 .. resamples - 1 do
            Array.fill counts 0 8 0
            for _ in 1 .. patterns.Length do
                let p = patterns.[rng.Next patterns.Length]
                counts.[p] <- counts.[p] + 1
            statistics |> List.iteri (fun i s -> draws.[b].[i] <- s counts)
        let a = (1.0 - level) / 2.0
        statistics
        |> List.mapi (fun i s ->
            let sorted = draws |> Array.map (fun d -> d.[i]) |> Array.filter (fun v -> not (System.Double.IsNaN v)) |> Array.sort
            { Value = s full; Lower = Stats.quantileSorted sorted a; Upper = Stats.quantileSorted sorted (1.0 - a); Level = level })

    let private score (bit: int) (counts: int[]) =
        Stats.wilson level (int (right bit counts)) (Array.sum counts) |> Stats.scale 100.0

    /// First-error type of each failed (problem id, sample) of a run that has a label (any labeller, the first).
    let private firstErrorTypes (run: Run) : Map<string * int, string> =
        let failed = run.Predictions |> List.filter (fun p -> not p.Correct) |> List.map (fun p -> p.ProblemId, p.Sample) |> Set.ofList
        run.Labels
        |> List.filter (fun l -> failed.Contains(l.ProblemId, l.Sample))
        |> List.distinctBy (fun l -> l.ProblemId, l.Sample)
        |> List.map (fun l -> (l.ProblemId, l.Sample), defaultArg l.ErrorType "unlabelled")
        |> Map.ofList

    let private firstErrors (keys: (string * int) list) (before: Run) (after: Run) =
        let countOn run =
            let types = firstErrorTypes run
            keys |> List.choose (fun k -> Map.tryFind k types) |> List.countBy id |> Map.ofList
        let b, a = countOn before, countOn after
        Seq.append b.Keys a.Keys
        |> Seq.distinct
        |> Seq.sortBy (fun t -> Taxonomy.typeOrder t, t)
        |> Seq.map (fun t -> t, defaultArg (b.TryFind t) 0, defaultArg (a.TryFind t) 0)
        |> List.ofSeq

    /// `RTN W2A16 g32`: the method and bits of Config.label, plus the group size that tells configurations apart.
    let configurationName (m: Manifest) =
        let c = { Config.ofManifest m with Training = None }
        match m.Quantization |> Option.bind (fun q -> q.GroupSize) with
        | Some g -> sprintf "%s g%d" (Config.label c) g
        | None -> Config.label c

    /// One training run against its base and FP; refuses runs over different datasets and runs sharing no problem.
    let row (runs: Run list) (run: Run) : RestorationRow =
        let quantized = baseOf runs run
        let fp = fpOf runs run
        RunDirectory.requireOneDataset [ fp; quantized; run ] |> ignore
        let keys, outcomes = paired [ fp; quantized; run ]
        if keys.IsEmpty then
            raise (QuantReasonException(sprintf "shares no problem with its base run %s and full precision %s: nothing to pair" quantized.Manifest.RunId fp.Manifest.RunId, run.Path))
        let triples = Array.init keys.Length (fun i -> outcomes.[0].[i], outcomes.[1].[i], outcomes.[2].[i])
        let counts = patternCounts triples
        let gainInterval, recoveredInterval =
            match pairedIntervals [ gain; recovered ] triples with
            | [ g; r ] -> g, r
            | _ -> failwith "two statistics give two intervals"
        let t = run.Manifest.Training.Value
        { Model = run.Manifest.Model.Name
          Configuration = configurationName quantized.Manifest
          Config = Config.ofManifest quantized.Manifest
          BaseRun = quantized.Manifest.RunId
          RunId = run.Manifest.RunId
          Stage = t.Stage
          Setting = settingName t.Stage t.Subset
          Pairs = t.Pairs
          Problems = keys.Length
          Fp = score 4 counts
          Quantized = score 2 counts
          Score = score 1 counts
          Gain = gainInterval
          Recovered = recoveredInterval
          FirstErrors = firstErrors keys quantized run }

    /// Every alignment and DPO run among `runs`, by model, configuration (table order) and setting.
    let table (runs: Run list) : RestorationRow list =
        runs
        |> List.filter isRestoration
        |> List.map (row runs)
        |> List.sortBy (fun r -> r.Model, Config.order r.Config, r.Configuration, settingOrder r.Setting, r.RunId)
