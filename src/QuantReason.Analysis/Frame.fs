namespace QuantReason.Analysis

/// One evaluated sample with its run's configuration and (optionally) its first-error label: the row type of every
/// analysis table.
type Row =
    { Run: string
      Model: string
      Config: Config
      Dataset: string
      Tags: Map<string, string>
      ProblemId: string
      Sample: int
      Subject: string option
      Level: int option
      Correct: bool
      FinishReason: string
      Label: Label option }

/// Frames are plain lists of records; these small functions filter, group, pivot and join them by problem id.
module Frame =

    /// Labels from `labeller` (the first when a sample has several from it), or from any labeller when None.
    let private labelIndex (labeller: string option) (run: Run) =
        run.Labels
        |> List.filter (fun l -> labeller |> Option.forall ((=) l.Labeller))
        |> List.groupBy (fun l -> l.ProblemId, l.Sample)
        |> List.map (fun (k, ls) -> k, List.head ls)
        |> Map.ofList

    /// Rows of one run, predictions in file order, labels attached by (problem_id, sample).
    let ofRun (labeller: string option) (run: Run) : Row list =
        let labels = labelIndex labeller run
        let m = run.Manifest
        let config = Config.ofManifest m
        run.Predictions
        |> List.map (fun p ->
            { Run = m.RunId
              Model = m.Model.Name
              Config = config
              Dataset = m.Dataset.Name
              Tags = m.Tags
              ProblemId = p.ProblemId
              Sample = p.Sample
              Subject = p.Subject
              Level = p.Level
              Correct = p.Correct
              FinishReason = p.FinishReason
              Label = labels |> Map.tryFind (p.ProblemId, p.Sample) })

    let ofRuns (labeller: string option) (runs: Run list) : Row list = runs |> List.collect (ofRun labeller)

    let filter (predicate: Row -> bool) (rows: Row list) = List.filter predicate rows

    /// Groups in first-appearance order of their keys (stable, so tables come out in a reproducible order).
    let groupBy (key: Row -> 'k) (rows: Row list) : ('k * Row list) list =
        let order = rows |> List.map key |> List.distinct
        let groups = rows |> List.groupBy key |> dict
        order |> List.map (fun k -> k, groups.[k])

    /// Accuracy in percent of a group (mean over samples).
    let accuracy (rows: Row list) : float =
        if List.isEmpty rows then nan
        else 100.0 * float (rows |> List.filter (fun r -> r.Correct) |> List.length) / float rows.Length

    /// A pivot: one cell per (row key, column key) with `value` applied to the rows that share both.
    let pivot (rowKey: Row -> 'r) (colKey: Row -> 'c) (value: Row list -> 'v) (rows: Row list) : Map<'r * 'c, 'v> =
        rows |> List.groupBy (fun r -> rowKey r, colKey r) |> List.map (fun (k, g) -> k, value g) |> Map.ofList

    /// Pairs the rows of two frames that share (problem_id, sample); rows without a partner are dropped.
    let joinByProblem (left: Row list) (right: Row list) : (Row * Row) list =
        let index = right |> List.map (fun r -> (r.ProblemId, r.Sample), r) |> Map.ofList
        left |> List.choose (fun l -> index |> Map.tryFind (l.ProblemId, l.Sample) |> Option.map (fun r -> l, r))
