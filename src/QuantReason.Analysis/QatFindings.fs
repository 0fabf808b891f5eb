namespace QuantReason.Analysis

open QuantReason

/// What a QAT run was trained as, read from its manifest (`training.init/objective/calibration/steps`, quantization
/// bits and group size): runs are matched on these fields, never on their ids.
type QatKey =
    { Bits: int
      GroupSize: int option
      /// `gptq`, `rtn` (a PTQ initialisation) or `none` (plain: the full-precision weights on the grid).
      Init: string
      /// `kd` or `sft`.
      Objective: string
      /// Calibration domain of a PTQ init; None for a plain init.
      Calibration: string option
      Steps: int }

/// One of the Reasoning-QAT findings measured on two runs over the problems both answered.
type QatFinding =
    { Comparison: string
      Bits: int
      /// The configuration the finding favours in the paper (KD, PTQ init, aligned calibration, QAT), then the other.
      A: string
      B: string
      RunA: string
      RunB: string
      /// Problems (id, sample) answered in both runs: every figure of the row is over these.
      Problems: int
      /// Accuracy (%) with its Wilson 95 % interval.
      AccuracyA: Estimate
      AccuracyB: Estimate
      /// A − B in points, percentile bootstrap resampling problem ids (both runs' outcomes on a problem together).
      Difference: Estimate
      /// Whether the two accuracies' 95 % intervals overlap.
      Overlap: bool }

/// The Reasoning-QAT findings (arXiv 2601.14888) on a study's runs: KD vs SFT, PTQ init vs plain init at each step
/// count, aligned vs other calibration, and QAT vs the best PTQ configuration at the same bits.
module QatFindings =

    let level = 0.95
    let seed = 20260114
    let resamples = 2000

    let isQat (run: Run) = run.Manifest.Training |> Option.exists (fun t -> t.Stage = "qat")

    /// The QAT fields of a run (None for any other run); a QAT run without them cannot be placed in a comparison.
    let key (run: Run) : QatKey option =
        match run.Manifest.Training, run.Manifest.Quantization with
        | Some t, Some q when t.Stage = "qat" ->
            let need name value =
                value |> Option.defaultWith (fun () ->
                    raise (QuantReasonException(sprintf "QAT run without training.%s in its manifest: it cannot be compared" name, run.Path)))
            let init = need "init" t.Init
            Some
                { Bits = q.Bits
                  GroupSize = q.GroupSize
                  Init = init
                  Objective = need "objective" t.Objective
                  Calibration = (if init = "none" then None else t.Calibration)
                  Steps = need "steps" t.Steps }
        | _ -> None

    /// Calibration on the evaluated domain: the dataset's name begins with the calibration source (`stepmath` for
    /// `stepmath-test.jsonl`).
    let aligned (run: Run) (k: QatKey) =
        k.Calibration |> Option.exists (fun c -> run.Manifest.Dataset.Name.StartsWith(c, System.StringComparison.OrdinalIgnoreCase))

    /// The paper's recipe: a PTQ init calibrated on the evaluated domain, trained with KD.
    let private isRecipe (run: Run) (k: QatKey) = k.Init <> "none" && k.Objective = "kd" && aligned run k

    /// `QAT W2A16 g32 (GPTQ init, KD, calib stepmath, 100 steps)`, `GPTQ W2A16 g32`, `FP`.
    let describe (run: Run) : string =
        match key run with
        | Some k ->
            let init = if k.Init = "none" then "plain init" else Config.methodName k.Init + " init"
            let calibration = k.Calibration |> Option.map (fun c -> ", calib " + c) |> Option.defaultValue ""
            sprintf "%s (%s, %s%s, %d steps)" (Restoration.configurationName run.Manifest) init (k.Objective.ToUpperInvariant()) calibration k.Steps
        | None -> Restoration.configurationName run.Manifest

    let private accuracy (run: Run) =
        Stats.wilson level (run.Predictions |> List.filter (fun p -> p.Correct) |> List.length) run.Predictions.Length
        |> Stats.scale 100.0

    /// Accuracy (%) of every run with its Wilson interval, full precision first, then PTQ, then QAT rows.
    let accuracies (runs: Run list) : (string * Estimate) list =
        runs
        |> List.sortBy (fun r -> isQat r, Config.order (Config.ofManifest r.Manifest), describe r)
        |> List.map (fun r -> describe r, accuracy r)

    /// (right in A, right in B, samples) per problem id [problems]: the unit the bootstrap resamples.
    let private byProblem (keys: (string * int) list) (a: bool[]) (b: bool[]) =
        keys
        |> List.mapi (fun i (id, _) -> id, i)
        |> List.groupBy fst
        |> List.map (fun (_, is) ->
            let idx = is |> List.map snd
            let count (o: bool[]) = idx |> List.filter (fun i -> o.[i]) |> List.length
            count a, count b, idx.Length)
        |> Array.ofList

    /// A − B accuracy in points over the problems given.
    let difference (problems: (int * int * int)[]) =
        let a = problems |> Array.sumBy (fun (x, _, _) -> x)
        let b = problems |> Array.sumBy (fun (_, y, _) -> y)
        let n = problems |> Array.sumBy (fun (_, _, m) -> m)
        100.0 * float (a - b) / float n

    let overlaps (x: Estimate) (y: Estimate) = x.Lower <= y.Upper && y.Lower <= x.Upper

    /// Run A against run B over the problems both answered; refuses runs over different datasets or sharing none.
    let compare (comparison: string) (a: Run) (b: Run) : QatFinding =
        RunDirectory.requireOneDataset [ a; b ] |> ignore
        let keys, outcomes = Restoration.paired [ a; b ]
        if keys.IsEmpty then
            raise (QuantReasonException(sprintf "shares no problem with run %s: nothing to pair" b.Manifest.RunId, a.Path))
        let oa, ob = outcomes.[0], outcomes.[1]
        let right (o: bool[]) = o |> Array.filter id |> Array.length
        let accA = Stats.wilson level (right oa) keys.Length |> Stats.scale 100.0
        let accB = Stats.wilson level (right ob) keys.Length |> Stats.scale 100.0
        { Comparison = comparison
          Bits = (key a |> Option.map (fun k -> k.Bits) |> Option.orElse (a.Manifest.Quantization |> Option.map (fun q -> q.Bits)) |> Option.defaultValue 16)
          A = describe a
          B = describe b
          RunA = a.Manifest.RunId
          RunB = b.Manifest.RunId
          Problems = keys.Length
          AccuracyA = accA
          AccuracyB = accB
          Difference = byProblem keys oa ob |> Stats.bootstrap seed resamples level difference
          Overlap = overlaps accA accB }

    let private withKey (runs: Run list) (k: QatKey) = runs |> List.tryFind (fun r -> key r = Some k)

    /// The recipe's runs at `bits`, fewest steps first.
    let private recipes (runs: Run list) (bits: int) =
        runs
        |> List.choose (fun r -> key r |> Option.filter (fun k -> k.Bits = bits && isRecipe r k) |> Option.map (fun k -> r, k))
        |> List.sortBy (fun (r, k) -> k.Steps, k.GroupSize, k.Init, r.Manifest.RunId)

    /// The most accurate untrained PTQ run at `bits` (ties: the first by run id).
    let bestPtq (runs: Run list) (bits: int) : Run option =
        runs
        |> List.filter (fun r -> r.Manifest.Training.IsNone && r.Manifest.Quantization |> Option.exists (fun q -> q.Bits = bits))
        |> List.sortBy (fun r -> -(accuracy r).Value, r.Manifest.RunId)
        |> List.tryHead

    /// The findings present among `runs`, by comparison then bits; a comparison whose runs are missing is left out.
    let table (runs: Run list) : QatFinding list =
        let bits = runs |> List.choose key |> List.map (fun k -> k.Bits) |> List.distinct |> List.sort
        let longest b = recipes runs b |> List.tryLast
        let pairs name (pick: int -> (Run * Run) list) = bits |> List.collect (fun b -> pick b |> List.map (fun (x, y) -> compare name x y))
        [ yield! pairs "KD vs SFT" (fun b ->
              longest b |> Option.bind (fun (r, k) -> withKey runs { k with Objective = "sft" } |> Option.map (fun s -> r, s)) |> Option.toList)
          yield!
              bits
              |> List.collect (fun b ->
                  recipes runs b
                  |> List.choose (fun (r, k) ->
                      withKey runs { k with Init = "none"; Calibration = None }
                      |> Option.map (fun p -> compare (sprintf "PTQ init vs plain init (%d steps)" k.Steps) r p)))
          yield! pairs "Aligned vs other calibration" (fun b ->
              longest b
              |> Option.bind (fun (r, k) ->
                  runs
                  |> List.tryFind (fun o ->
                      key o |> Option.exists (fun ko -> ko.Calibration.IsSome && not (aligned o ko) && ko = { k with Calibration = ko.Calibration }))
                  |> Option.map (fun o -> r, o))
              |> Option.toList)
          yield! pairs "QAT vs best PTQ" (fun b ->
              match longest b, bestPtq runs b with
              | Some(r, _), Some p -> [ r, p ]
              | _ -> []) ]
