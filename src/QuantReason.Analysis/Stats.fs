namespace QuantReason.Analysis

open System
open MathNet.Numerics.Distributions
open MathNet.Numerics.Random

/// An estimate with a two-sided interval at `Level` (0.95 = 95%).
type Estimate =
    { Value: float
      Lower: float
      Upper: float
      Level: float }

/// Interval estimates used throughout: Wilson for proportions, seeded percentile bootstrap for anything else.
module Stats =

    /// The standard-normal quantile for a two-sided interval at `level`.
    let z (level: float) = Normal.InvCDF(0.0, 1.0, 1.0 - (1.0 - level) / 2.0)

    /// Wilson score interval of k successes in n trials (as a proportion in 0..1); stays inside [0,1] and behaves
    /// at k = 0 or k = n, where the Wald interval collapses.
    let wilson (level: float) (successes: int) (trials: int) : Estimate =
        if trials <= 0 then { Value = nan; Lower = nan; Upper = nan; Level = level }
        else
            let n = float trials
            let p = float successes / n
            let zz = z level
            let z2 = zz * zz
            let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n)
            let half = zz / (1.0 + z2 / n) * sqrt (p * (1.0 - p) / n + z2 / (4.0 * n * n))
            { Value = p; Lower = max 0.0 (centre - half); Upper = min 1.0 (centre + half); Level = level }

    /// Scales an estimate (e.g. proportion → percent).
    let scale (factor: float) (e: Estimate) =
        { e with Value = e.Value * factor; Lower = e.Lower * factor; Upper = e.Upper * factor }

    /// Empirical quantile with linear interpolation (type 7) of an already sorted array.
    let quantileSorted (sorted: float[]) (q: float) =
        if sorted.Length = 0 then nan
        else
            let h = float (sorted.Length - 1) * q
            let lo = int (floor h)
            let hi = min (lo + 1) (sorted.Length - 1)
            sorted.[lo] + (h - float lo) * (sorted.[hi] - sorted.[lo])

    /// Percentile bootstrap of `statistic` over resamples (with replacement) of `items`; seeded, so reruns agree.
    let bootstrap (seed: int) (resamples: int) (level: float) (statistic: 'a[] -> float) (items: 'a[]) : Estimate =
        let value = statistic items
        if items.Length = 0 then { Value = nan; Lower = nan; Upper = nan; Level = level }
        else
            let rng = MersenneTwister(seed)
            let buffer = Array.zeroCreate items.Length
            let stats =
                Array.init resamples (fun _ ->
                    for i in 0 .. items.Length - 1 do
                        buffer.[i] <- items.[rng.Next(items.Length)]
                    statistic buffer)
                |> Array.filter (fun v -> not (Double.IsNaN v))
                |> Array.sort
            let a = (1.0 - level) / 2.0
            { Value = value; Lower = quantileSorted stats a; Upper = quantileSorted stats (1.0 - a); Level = level }
