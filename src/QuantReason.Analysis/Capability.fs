namespace QuantReason.Analysis

/// Accuracy of one configuration on one dimension (MATH subject, StepMath kind, level …) relative to full precision.
type CapabilityPoint =
    { Model: string
      Config: Config
      Dimension: string
      Accuracy: float
      /// Accuracy / FP accuracy on the same dimension: FP = 1.0; nan when FP scores 0 there.
      Relative: float }

/// Relative capability by dimension (full precision = 1.0), the radar of the studies.
module Capability =

    /// `dimension` picks the axis of each row (rows where it is None are left out). Models without an FP run are
    /// left out, since there is nothing to be relative to.
    let relative (dimension: Row -> string option) (rows: Row list) : CapabilityPoint list =
        rows
        |> Frame.groupBy (fun r -> r.Model)
        |> List.collect (fun (model, modelRows) ->
            let keyed = modelRows |> List.choose (fun r -> dimension r |> Option.map (fun d -> d, r))
            let dims = keyed |> List.map fst |> List.distinct |> List.sort
            let accuracy config dim =
                keyed |> List.filter (fun (d, r) -> d = dim && r.Config = config) |> List.map snd |> Frame.accuracy
            let configs = keyed |> List.map (fun (_, r) -> r.Config) |> List.distinct |> List.sortBy Config.order
            match configs |> List.tryFind Config.isFullPrecision with
            | None -> []
            | Some fp ->
                [ for config in configs do
                      for dim in dims do
                          let a = accuracy config dim
                          let f = accuracy fp dim
                          yield
                              { Model = model
                                Config = config
                                Dimension = dim
                                Accuracy = a
                                Relative = (if f > 0.0 then a / f else nan) } ])

    /// The subject of a row (MATH subject or StepMath kind).
    let bySubject (row: Row) = row.Subject

    let byLevel (row: Row) = row.Level |> Option.map (sprintf "Level %d")
