module QuantReason.Analysis.Tests.TaxonomyTests

open System.IO
open System.Text.RegularExpressions
open Xunit
open QuantReason.Analysis
open QuantReason.Analysis.Tests.Shared

[<SharedFact>]
let ``taxonomy and crosswalk agree with the shared taxonomy document`` () =
    let doc = File.ReadAllText(pathOf [ "docs"; "taxonomy.md" ])
    // "| conceptual | `conceptual_misunderstanding` | …" rows of the v2 table.
    let v2 =
        Regex.Matches(doc, @"^\| (\w+) \| `(\w+)` \|", RegexOptions.Multiline)
        |> Seq.map (fun m -> m.Groups.[2].Value, m.Groups.[1].Value)
        |> List.ofSeq
    Assert.Equal<(string * string) list>(v2, Taxonomy.v2Types)
    // "| misunderstanding_of_problem | conceptual_misunderstanding | conceptual |" rows of the crosswalk.
    let crosswalk =
        Regex.Matches(doc, @"^\| (\w+) \| (\w+) \| (\w+) \|$", RegexOptions.Multiline)
        |> Seq.filter (fun m -> m.Groups.[1].Value <> "v1")
        |> Seq.map (fun m -> m.Groups.[1].Value, m.Groups.[2].Value, m.Groups.[3].Value)
        |> List.ofSeq
    Assert.Equal(7, crosswalk.Length)
    for v1, v2Type, category in crosswalk do
        Assert.Equal(v2Type, Taxonomy.toV2 v1)
        Assert.Equal(Some category, Taxonomy.categoryOf v1)
