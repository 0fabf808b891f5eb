/// The shared reference folder for Analysis tests (../shared or $QUANTREASON_SHARED), with facts that skip with a
/// clear message when it is absent.
module QuantReason.Analysis.Tests.Shared

open System.IO
open Xunit
open QuantReason.Analysis

let skipReason =
    "shared reference material not found: set QUANTREASON_SHARED or place it at ../shared beside the repository"

let root () = Paths.sharedRoot ()

let pathOf (parts: string list) =
    match root () with
    | Some r -> Path.Combine(Array.ofList (r :: parts))
    | None -> invalidOp skipReason

[<Xunit.Sdk.XunitTestCaseDiscoverer("QuantReason.Analysis.Tests.SkipReason+ReasonInNameDiscoverer", "QuantReason.Analysis.Tests")>]
type SharedFactAttribute() as this =
    inherit FactAttribute()
    do if (root ()).IsNone then this.Skip <- skipReason

type SharedTheoryAttribute() as this =
    inherit TheoryAttribute()
    do if (root ()).IsNone then this.Skip <- skipReason
