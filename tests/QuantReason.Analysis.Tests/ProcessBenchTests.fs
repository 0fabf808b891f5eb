module QuantReason.Analysis.Tests.ProcessBenchTests

open System.IO
open System.Text.Json
open Xunit
open QuantReason.Analysis
open QuantReason.Analysis.Tests.Shared

/// Label counts per file straight from the JSON, independent of the loader.
let private rawLabelCounts (file: string) =
    use doc = JsonDocument.Parse(File.ReadAllText file)
    doc.RootElement.EnumerateArray()
    |> Seq.map (fun e -> e.GetProperty("label").GetInt32())
    |> Seq.countBy id
    |> Seq.sortBy fst
    |> List.ofSeq

let private files () =
    Directory.GetFiles(pathOf [ "data"; "processbench" ], "*.json") |> Array.sort |> List.ofArray

[<SharedFact>]
let ``first-error position counts reproduce the data exactly`` () =
    let items = ProcessBench.loadFolder (pathOf [ "data"; "processbench" ])
    Assert.NotEmpty(files ())
    for file in files () do
        let dataset = Path.GetFileNameWithoutExtension file
        let chains = items |> List.filter (fun i -> i.Dataset = dataset) |> ProcessBench.chains ProcessBench.byDataset
        Assert.Equal<(int * int) list>(rawLabelCounts file, Survival.firstErrorCounts chains)
        // The survival curve's events at each step are exactly the chains labelled with that step.
        let curve = Survival.curve dataset chains
        let events = curve.Hazards |> List.filter (fun h -> h.Events > 0) |> List.map (fun h -> h.Step, h.Events)
        Assert.Equal<(int * int) list>(rawLabelCounts file |> List.filter (fun (k, _) -> k >= 0), events)
        Assert.Equal(chains.Length, curve.Hazards.Head.AtRisk)

[<SharedFact>]
let ``per-generator curves partition the chains`` () =
    let items = ProcessBench.loadFolder (pathOf [ "data"; "processbench" ])
    let curves = ProcessBench.chains ProcessBench.byGenerator items |> Survival.curvesBy
    Assert.Equal(items.Length, curves |> List.sumBy (fun c -> c.Chains))
    let errors = items |> List.filter (fun i -> i.Label >= 0) |> List.length
    Assert.Equal(errors, curves |> List.sumBy (fun c -> c.Hazards |> List.sumBy (fun h -> h.Events)))
    for c in curves do
        let s = c.Survival |> List.map (fun p -> p.Survival.Value)
        Assert.True(s |> List.pairwise |> List.forall (fun (a, b) -> b <= a), c.Group)

[<Fact>]
let ``a label outside the steps is rejected naming the file and item`` () =
    let file = Path.Combine(Path.GetTempPath(), sprintf "pb-%s.json" (System.Guid.NewGuid().ToString("N")))
    File.WriteAllText(file, """[{"id": "x-1", "generator": "g", "problem": "p", "steps": ["a", "b"], "final_answer_correct": false, "label": 2}]""")
    let ex = Assert.Throws<QuantReason.QuantReasonException>(fun () -> ProcessBench.loadFile file |> ignore)
    Assert.Contains(file, ex.Message)
    Assert.Contains("x-1", ex.Message)
