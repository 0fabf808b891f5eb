namespace QuantReason.Analysis

/// The studies' standard figures, built from analysis results; notebooks and the paper build draw the same ones.
module Figures =

    let degradation (title: string) (rows: DegradationRow list) : Figure =
        rows
        |> List.groupBy (fun r -> r.Model)
        |> List.map (fun (model, rs) -> model, rs |> List.map (fun r -> Config.label r.Config, r.Score))
        |> Chart.groupedBar title "configuration" "accuracy (%)"

    /// Category shares of first errors, stacked per model and configuration.
    let errorCategories (title: string) (shares: ErrorShare list) : Figure =
        let bars = shares |> List.map (fun s -> s.Model, s.Config) |> List.distinct
        let label (m, c) = m + " " + Config.label c
        let keys = shares |> List.map (fun s -> s.Key) |> List.distinct
        keys
        |> List.map (fun k ->
            k,
            bars
            |> List.map (fun b ->
                let v =
                    shares
                    |> List.tryFind (fun s -> (s.Model, s.Config) = b && s.Key = k)
                    |> Option.map (fun s -> s.Share.Value)
                    |> Option.defaultValue 0.0
                label b, v))
        |> Chart.stackedBar title "model and configuration" "share of first errors (%)"

    /// Error type × configuration heatmap of shares (%).
    let errorTypeHeatmap (title: string) (shares: ErrorShare list) : Figure =
        let bars = shares |> List.map (fun s -> s.Model, s.Config) |> List.distinct
        let keys = shares |> List.map (fun s -> s.Key) |> List.distinct |> List.sortBy Taxonomy.typeOrder
        let z =
            keys
            |> List.map (fun k ->
                bars
                |> List.map (fun b ->
                    shares
                    |> List.tryFind (fun s -> (s.Model, s.Config) = b && s.Key = k)
                    |> Option.map (fun s -> s.Share.Value)
                    |> Option.defaultValue 0.0))
        Chart.heatmap title "model and configuration" "error type" (bars |> List.map (fun (m, c) -> m + " " + Config.label c)) keys z
        |> Chart.withSize 700 420

    /// Relative capability of one model's configurations by dimension (FP = 1.0).
    let capabilityRadar (title: string) (model: string) (points: CapabilityPoint list) : Figure =
        points
        |> List.filter (fun p -> p.Model = model)
        |> List.groupBy (fun p -> p.Config)
        |> List.sortBy (fst >> Config.order)
        |> List.map (fun (c, ps) -> Config.label c, ps |> List.map (fun p -> p.Dimension, p.Relative))
        |> Chart.radar title

    let ablation (title: string) (rows: AblationRow list) : Figure =
        rows
        |> List.groupBy (fun r -> r.Model + " " + r.Quantization)
        |> List.map (fun (k, rs) -> k, rs |> List.map (fun r -> r.TrainingMethod + ":" + r.Subset, r.Score))
        |> Chart.groupedBar title "restoration subset" "accuracy (%)"

    /// Kaplan–Meier survival by step with Greenwood bands.
    let survival (title: string) (curves: SurvivalCurve list) : Figure =
        curves
        |> List.map (fun c -> sprintf "%s (n=%d)" c.Group c.Chains, c.Survival |> List.map (fun p -> float p.Step, p.Survival))
        |> Chart.linesWithBands title "step index" "P(no error up to step)"
        |> Chart.withYRange 0.0 1.02

    /// Per-step hazard of a first error with Wilson bands.
    let hazards (title: string) (curves: SurvivalCurve list) : Figure =
        curves
        |> List.map (fun c -> c.Group, c.Hazards |> List.filter (fun h -> h.AtRisk >= 10) |> List.map (fun h -> float h.Step, h.Hazard))
        |> Chart.linesWithBands title "step index" "hazard of first error"

    /// First-error-only shares against the all-errors projection.
    let projection (title: string) (shares: ProjectedShare list) : Figure =
        let e v = { Value = v; Lower = v; Upper = v; Level = 0.0 }
        [ "first error only", shares |> List.map (fun s -> s.ErrorType, e s.FirstOnlyShare)
          "all errors (projected)", shares |> List.map (fun s -> s.ErrorType, e s.ProjectedShare) ]
        |> Chart.groupedBar title "error type" "share (%)"
        |> Chart.withSize 700 380

    /// Printed against recomputed Δ% for every quantized row of the published tables.
    let publishedDeltas (title: string) (checks: PublishedCheck list) : Figure =
        let pct = checks |> List.filter (fun c -> c.Quantity = "Δ%")
        let key (c: PublishedCheck) =
            let dataset = c.Table.Replace(".json", "")
            let dataset = dataset.Substring(dataset.IndexOf('-') + 1)
            let size = System.Text.RegularExpressions.Regex.Match(c.Model, @"\d+B")
            sprintf "%s %s %s" dataset (if size.Success then size.Value else c.Model) (c.Method.Split(' ').[0])
        let e (v: decimal) = let f = float v in { Value = f; Lower = f; Upper = f; Level = 0.0 }
        [ "printed Δ%", pct |> List.map (fun c -> key c, e c.Printed.Value)
          "recomputed Δ%", pct |> List.map (fun c -> key c, e c.Recomputed) ]
        |> Chart.groupedBar title "table, model, method" "Δ% (relative drop)"
        |> Chart.withSize 700 380
