module QuantReason.Analysis.Tests.ErrorTypesTests

open Xunit
open QuantReason.Analysis
open QuantReason.Analysis.Tests.TestRuns

[<Fact>]
let ``first-error distribution by type and category matches hand counts`` () =
    let root = tempRoot ()
    let s =
        { spec "q" "M" (Some("gptq", 4)) (answers "Algebra" 6 1) with
            Labels =
              [ "p1", 4, 0, Some "computational_error", Some "execution"
                "p2", 4, 2, Some "computation_error", None // v1 id, mapped through the crosswalk
                "p3", 5, 1, Some "conceptual_misunderstanding", Some "conceptual"
                "p4", 3, 2, Some "symbolic_manipulation_error", None
                "p5", 2, -1, Some "format_error", None ] }
    let rows = RunDirectory.load (write root s) |> Frame.ofRun None
    let byType = ErrorTypes.byType rows |> List.map (fun e -> e.Key, e.Count, e.Total)
    Assert.Equal<(string * int * int) list>(
        [ "conceptual_misunderstanding", 1, 5; "computational_error", 2, 5; "symbolic_manipulation_error", 1, 5; "format_error", 1, 5 ],
        byType)
    let byCat = ErrorTypes.byCategory rows |> List.map (fun e -> e.Key, e.Count)
    Assert.Equal<(string * int) list>([ "conceptual", 1; "execution", 3 ], byCat)
    let share = ErrorTypes.byType rows |> List.find (fun e -> e.Key = "computational_error")
    Assert.Equal(40.0, share.Share.Value, 12)
