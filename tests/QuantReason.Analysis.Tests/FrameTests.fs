module QuantReason.Analysis.Tests.FrameTests

open Xunit
open QuantReason.Analysis
open QuantReason.Analysis.Tests.TestRuns

let private frame () =
    let root = tempRoot ()
    [ { spec "fp" "M" None [ "a", "Algebra", true; "b", "Geometry", true; "c", "Algebra", false ] with
          Labels = [ "c", 3, 1, Some "computational_error", Some "execution" ] }
      spec "q" "M" (Some("rtn", 4)) [ "b", "Geometry", false; "a", "Algebra", true; "d", "Algebra", false ] ]
    |> List.map (write root)
    |> RunDirectory.loadMany
    |> Frame.ofRuns None

[<Fact>]
let ``labels attach to their (problem, sample) row`` () =
    let rows = frame ()
    let c = rows |> List.find (fun r -> r.Run = "fp" && r.ProblemId = "c")
    Assert.Equal(Some 1, c.Label.Value.FirstErrorStep)
    Assert.True(rows |> List.filter (fun r -> r.ProblemId <> "c") |> List.forall (fun r -> r.Label.IsNone))

[<Fact>]
let ``group, pivot and join by problem`` () =
    let rows = frame ()
    Assert.Equal<string list>([ "fp"; "q" ], rows |> Frame.groupBy (fun r -> r.Run) |> List.map fst)
    let pivot = rows |> Frame.pivot (fun r -> r.Run) (fun r -> r.Subject.Value) Frame.accuracy
    Assert.Equal(50.0, pivot.[("fp", "Algebra")], 12) // a right, c wrong
    Assert.Equal(0.0, pivot.[("q", "Geometry")], 12)
    let fp = rows |> Frame.filter (fun r -> r.Run = "fp")
    let q = rows |> Frame.filter (fun r -> r.Run = "q")
    // Problems both runs answered: a and b (c only in fp, d only in q), in the left frame's order.
    Assert.Equal<string list>([ "a"; "b" ], Frame.joinByProblem fp q |> List.map (fun (l, r) -> l.ProblemId))
    Assert.True(Frame.joinByProblem fp q |> List.forall (fun (l, r) -> l.ProblemId = r.ProblemId))

[<Fact>]
let ``Deedle pivots accuracy by configuration and subject and renders as an HTML table`` () =
    let pivot = frame () |> Frame.toDeedle |> Frame.pivotMean "Configuration" "Subject" "Correct"
    Assert.Equal(50.0, Frame.cell "FP" "Algebra" pivot, 12) // a right, c wrong
    Assert.Equal(0.0, Frame.cell "RTN W4A16" "Geometry" pivot, 12)
    Assert.Equal(50.0, Frame.cell "RTN W4A16" "Algebra" pivot, 12) // a right, d wrong
    Assert.True(System.Double.IsNaN(Frame.cell "RTN W4A16" "Topology" pivot))
    let counts = frame () |> Frame.toDeedle |> Frame.pivotCount "Configuration" "ErrorType"
    Assert.Equal(1.0, Frame.cell "FP" "computational_error" counts, 12)
    let html = (Frame.toHtml pivot).Html
    Assert.StartsWith("<table class=\"qr-frame\">", html)
    Assert.Contains("<th>RTN W4A16</th>", html)
    Assert.Contains("<td>50.00</td>", html)
    Assert.Equal(html, Frame.htmlOfObject (box pivot))
