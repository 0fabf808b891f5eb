namespace QuantReason.Analysis

/// The studies' error taxonomy (shared/docs/taxonomy.md): v2 types nested in four categories, and the v1 → v2
/// crosswalk, so labels written in either version land in the same bins.
module Taxonomy =

    /// v2 type id → category, in the document's order (charts and tables use this order).
    let v2Types =
        [ "conceptual_misunderstanding", "conceptual"
          "contextual_oversight", "conceptual"
          "procedural_error", "method"
          "formula_rule_error", "method"
          "computational_error", "execution"
          "symbolic_manipulation_error", "execution"
          "logical_reasoning_error", "reasoning" ]

    let categories = [ "conceptual"; "method"; "execution"; "reasoning" ]

    /// Outcomes outside the seven types that still appear in labels.
    let formatError = "format_error"

    let v1ToV2 =
        Map.ofList
            [ "misunderstanding_of_problem", "conceptual_misunderstanding"
              "boundary_condition_error", "contextual_oversight"
              "step_omission", "procedural_error"
              "formula_misuse", "formula_rule_error"
              "computation_error", "computational_error"
              "symbol_error", "symbolic_manipulation_error"
              "logical_error", "logical_reasoning_error" ]

    let private categoryOfType = Map.ofList v2Types

    /// The v2 type of an error type id written in v1 or v2 (unknown ids pass through unchanged).
    let toV2 (typeId: string) = v1ToV2 |> Map.tryFind typeId |> Option.defaultValue typeId

    let categoryOf (typeId: string) : string option = categoryOfType |> Map.tryFind (toV2 typeId)

    /// Position of a type in the document order, unknown types after the known ones.
    let typeOrder (typeId: string) =
        match v2Types |> List.tryFindIndex (fun (t, _) -> t = typeId) with
        | Some i -> i
        | None -> if typeId = formatError then 100 else 200

    let categoryOrder (category: string) =
        categories |> List.tryFindIndex ((=) category) |> Option.defaultValue 100
