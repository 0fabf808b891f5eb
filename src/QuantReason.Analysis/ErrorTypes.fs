namespace QuantReason.Analysis

/// Count and share of one error type (or category) among a configuration's labelled failures.
type ErrorShare =
    { Model: string
      Config: Config
      Key: string
      Count: int
      Total: int
      /// Share in percent with its Wilson interval.
      Share: Estimate }

/// Error-type distributions: the first error of each failing sample only (that is all a label records), by type
/// and by category.
module ErrorTypes =

    let level = 0.95

    /// v2 type of a row's first error; None for rows without a labelled error.
    let typeOf (row: Row) : string option =
        row.Label
        |> Option.bind (fun l -> l.ErrorType)
        |> Option.map Taxonomy.toV2

    let categoryOf (row: Row) : string option =
        row.Label
        |> Option.bind (fun l ->
            match l.Category with
            | Some c -> Some c
            | None -> l.ErrorType |> Option.bind Taxonomy.categoryOf)

    let private distribution (key: Row -> string option) (order: string -> int) (rows: Row list) : ErrorShare list =
        rows
        |> Frame.groupBy (fun r -> r.Model, r.Config)
        |> List.sortBy (fun ((model, config), _) -> model, Config.order config)
        |> List.collect (fun ((model, config), group) ->
            let keyed = group |> List.choose key
            let total = keyed.Length
            keyed
            |> List.countBy id
            |> List.sortBy (fun (k, _) -> order k, k)
            |> List.map (fun (k, n) ->
                { Model = model
                  Config = config
                  Key = k
                  Count = n
                  Total = total
                  Share = Stats.wilson level n total |> Stats.scale 100.0 }))

    /// Distribution over v2 error types (format errors included as their own key).
    let byType (rows: Row list) : ErrorShare list = distribution typeOf Taxonomy.typeOrder rows

    /// Distribution over the four categories (format errors, which have none, are left out).
    let byCategory (rows: Row list) : ErrorShare list = distribution categoryOf Taxonomy.categoryOrder rows
