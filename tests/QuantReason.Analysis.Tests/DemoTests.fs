module QuantReason.Analysis.Tests.DemoTests

open System.IO
open Xunit
open QuantReason.Analysis

[<Fact>]
let ``the synthetic demo set is reproducible, schema-valid and tagged synthetic`` () =
    let a = Demo.generate (Path.Combine(TestRuns.tempRoot (), "runs"))
    let b = Demo.generate (Path.Combine(TestRuns.tempRoot (), "runs"))
    Assert.Equal(a.Length, b.Length)
    for x, y in List.zip a b do
        for f in [ "manifest.json"; "predictions.jsonl"; "labels.jsonl" ] do
            Assert.Equal(File.ReadAllText(Path.Combine(x, f)), File.ReadAllText(Path.Combine(y, f)))
    let runs = RunDirectory.loadMany a
    Assert.True(runs |> List.forall Demo.isSynthetic)
    Assert.True(runs |> List.forall (fun r -> r.Predictions.Length = Demo.problems && r.Labels.Length = Demo.problems))
    // Every failure carries a first error and a type; every success none.
    for r in runs do
        let labels = r.Labels |> List.map (fun l -> l.ProblemId, l) |> Map.ofList
        for p in r.Predictions do
            Assert.Equal(not p.Correct, labels.[p.ProblemId].FirstErrorStep.IsSome)
