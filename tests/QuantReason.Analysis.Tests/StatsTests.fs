module QuantReason.Analysis.Tests.StatsTests

open Xunit
open QuantReason.Analysis

[<Fact>]
let ``Wilson interval matches the textbook values`` () =
    // 6/10 at 95%: (0.3127, 0.8318); 0/10: (0, 0.2775) — Wilson (1927), as tabulated by Newcombe (1998).
    let a = Stats.wilson 0.95 6 10
    Assert.Equal(0.312674, a.Lower, 5)
    Assert.Equal(0.831820, a.Upper, 5)
    let b = Stats.wilson 0.95 0 10
    Assert.Equal(0.0, b.Lower, 9)
    Assert.Equal(0.277533, b.Upper, 5)

[<Fact>]
let ``bootstrap is reproducible for a seed and brackets the mean`` () =
    let xs = Array.init 200 (fun i -> float (i % 7))
    let mean (a: float[]) = Array.average a
    let e1 = Stats.bootstrap 42 500 0.95 mean xs
    let e2 = Stats.bootstrap 42 500 0.95 mean xs
    Assert.Equal(e1, e2)
    Assert.True(e1.Lower < e1.Value && e1.Value < e1.Upper)
    // The standard error of a mean of 200 draws of 0..6 is about 0.14, so the 95% half-width is near 0.28.
    Assert.InRange(e1.Upper - e1.Lower, 0.4, 0.75)

[<Fact>]
let ``quantile interpolates linearly`` () =
    Assert.Equal(2.5, Stats.quantileSorted [| 1.0; 2.0; 3.0; 4.0 |] 0.5, 12)
    Assert.Equal(1.0, Stats.quantileSorted [| 1.0; 2.0; 3.0; 4.0 |] 0.0, 12)
