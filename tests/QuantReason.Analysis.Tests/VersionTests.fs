module QuantReason.Analysis.Tests.VersionTests

open Xunit
open QuantReason.Analysis

[<Fact>]
let ``version is semantic`` () =
    Assert.Matches(@"^\d+\.\d+\.\d+$", Version.current)
