namespace QuantReason.Analysis

open QuantReason

/// One line of a degradation table: a model under one configuration, its score and its drop from full precision.
type DegradationRow =
    { Model: string
      Config: Config
      Run: string
      Samples: int
      Correct: int
      /// Accuracy in percent with its Wilson interval.
      Score: Estimate
      /// FP score − this score, in points (positive = worse than FP), with a paired bootstrap interval over the
      /// problems both runs answered; None for the FP row or when the model has no FP run.
      Delta: Estimate option
      /// Δ / FP score × 100.
      DeltaPct: float option }

/// Degradation tables laid out as in the studies: Score, Δ, Δ% per model × method × bits.
module Degradation =

    let level = 0.95
    let resamples = 1000
    /// Fixed so that tables are reproducible byte for byte.
    let seed = 20250103

    let private correctCount (rows: Row list) = rows |> List.filter (fun r -> r.Correct) |> List.length

    /// Paired bootstrap of (FP accuracy − Q accuracy) over problems answered in both runs.
    let private deltaInterval (fp: Row list) (q: Row list) : Estimate =
        let pairs =
            Frame.joinByProblem fp q
            |> List.map (fun (a, b) -> (if a.Correct then 1.0 else 0.0), (if b.Correct then 1.0 else 0.0))
            |> Array.ofList
        let stat (xs: (float * float)[]) =
            if xs.Length = 0 then nan else 100.0 * (Array.sumBy fst xs - Array.sumBy snd xs) / float xs.Length
        Stats.bootstrap seed resamples level stat pairs

    /// The degradation table of runs that all evaluate one dataset. Rows are grouped by model (first-appearance
    /// order) and sorted FP first, then by method and bits. Two runs with the same model and configuration are an
    /// error naming both, since the table could not say which one it shows.
    let table (runs: Run list) : DegradationRow list =
        RunDirectory.requireOneDataset runs |> ignore
        runs
        |> List.groupBy (fun r -> r.Manifest.Model.Name, Config.ofManifest r.Manifest)
        |> List.iter (fun ((model, config), group) ->
            match group with
            | a :: b :: _ ->
                raise (
                    QuantReasonException(
                        sprintf "model '%s' under %s appears in two runs (also %s)" model (Config.label config) a.Path,
                        b.Path))
            | _ -> ())
        let byModel = runs |> List.map (fun r -> r.Manifest.Model.Name) |> List.distinct
        [ for model in byModel do
              let modelRuns =
                  runs
                  |> List.filter (fun r -> r.Manifest.Model.Name = model)
                  |> List.sortBy (fun r -> Config.order (Config.ofManifest r.Manifest))
              let fpRows =
                  modelRuns
                  |> List.tryFind (fun r -> Config.isFullPrecision (Config.ofManifest r.Manifest))
                  |> Option.map (Frame.ofRun None)
              for run in modelRuns do
                  let rows = Frame.ofRun None run
                  let config = Config.ofManifest run.Manifest
                  let k = correctCount rows
                  let score = Stats.wilson level k rows.Length |> Stats.scale 100.0
                  let delta, pct =
                      match fpRows with
                      | Some fp when not (Config.isFullPrecision config) ->
                          let fpScore = Frame.accuracy fp
                          let d = fpScore - score.Value
                          let interval = deltaInterval fp rows
                          Some { interval with Value = d }, (if fpScore > 0.0 then Some(100.0 * d / fpScore) else None)
                      | _ -> None, None
                  yield
                      { Model = model
                        Config = config
                        Run = run.Manifest.RunId
                        Samples = rows.Length
                        Correct = k
                        Score = score
                        Delta = delta
                        DeltaPct = pct } ]
