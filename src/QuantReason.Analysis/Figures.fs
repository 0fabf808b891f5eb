namespace QuantReason.Analysis

open Plotly.NET

/// The studies' standard figures, built from analysis results; notebooks, the paper build and the report draw the
/// same ones. Titles name the model and dataset; configurations read `GPTQ W4A16`, `SmoothQuant W8A8`.
module Figures =

    /// `stepmath-test.jsonl` → `stepmath-test`: titles name the dataset, not its file.
    let datasetName (name: string) =
        let file = System.IO.Path.GetFileName name
        match System.IO.Path.GetExtension file with
        | ".jsonl" | ".json" | ".csv" | ".parquet" -> System.IO.Path.GetFileNameWithoutExtension file
        | _ -> file

    /// "stepmath-ref on stepmath-test": what a title says the figure is about.
    let subject (models: string list) (dataset: string) =
        sprintf "%s on %s" (String.concat ", " (List.distinct models)) (datasetName dataset)

    /// Accuracy per configuration with 95% intervals. One model: one bar and colour per configuration; several:
    /// one colour per model, configurations side by side.
    let degradation (title: string) (rows: DegradationRow list) : GenericChart =
        let models = rows |> List.map (fun r -> r.Model) |> List.distinct
        match models with
        | [ _ ] ->
            rows
            |> List.map (fun r -> Config.label r.Config, [ Config.label r.Config, r.Score ])
            |> Charts.groupedBar title "configuration" "accuracy (%)"
            // One bar per category: overlay keeps each bar centred over its label.
            |> Chart.withLayoutStyle (BarMode = StyleParam.BarMode.Overlay)
        | _ ->
            rows
            |> List.groupBy (fun r -> r.Model)
            |> List.map (fun (model, rs) -> model, rs |> List.map (fun r -> Config.label r.Config, r.Score))
            |> Charts.groupedBar title "configuration" "accuracy (%)"

    /// Accuracy (%) of each configuration of a QAT study with 95 % intervals (QatFindings.accuracies), one bar each.
    let qatAccuracy (title: string) (points: (string * Estimate) list) : GenericChart =
        // One series: the long configuration names are the axis labels, so no legend, and room below for them.
        [ "accuracy", points ]
        |> Charts.groupedBar title "configuration" "accuracy (%)"
        |> Chart.withLayoutStyle (ShowLegend = false)
        |> Charts.withSize 900 520
        |> Chart.withMargin (LayoutObjects.Margin.init (Left = 55, Right = 15, Top = 40, Bottom = 250))

    /// Accuracy (%) by configuration × difficulty level (a Deedle pivot), configurations in table order.
    let degradationByLevel (title: string) (rows: Row list) : GenericChart =
        let withLevel = rows |> List.filter (fun r -> r.Level.IsSome)
        let configs =
            withLevel
            |> List.map (fun r -> r.Model, r.Config)
            |> List.distinct
            |> List.sortBy (fun (m, c) -> m, Config.order c)
        let several = (configs |> List.map fst |> List.distinct).Length > 1
        let name (m, c) = if several then m + " " + Config.label c else Config.label c
        let levels = withLevel |> List.map (fun r -> r.Level.Value) |> List.distinct |> List.sort |> List.map string
        let frame = Frame.toDeedle withLevel
        frame.AddColumn("Key", withLevel |> List.map (fun r -> name (r.Model, r.Config)))
        let pivot = frame |> Frame.pivotMean "Key" "Level" "Correct"
        let z = configs |> List.map (fun k -> levels |> List.map (fun l -> Frame.cell (name k) l pivot))
        Charts.heatmap title "difficulty level" "configuration" (levels |> List.map (fun l -> "level " + l)) (List.map name configs) z

    /// Category shares of first errors, stacked per model and configuration.
    let errorCategories (title: string) (shares: ErrorShare list) : GenericChart =
        let bars = shares |> List.map (fun s -> s.Model, s.Config) |> List.distinct
        let several = (bars |> List.map fst |> List.distinct).Length > 1
        let label (m, c) = if several then m + " " + Config.label c else Config.label c
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
        |> Charts.stackedBar title "configuration" "share of first errors (%)"

    /// Error type × configuration heatmap of shares (%).
    let errorTypeHeatmap (title: string) (shares: ErrorShare list) : GenericChart =
        let bars = shares |> List.map (fun s -> s.Model, s.Config) |> List.distinct
        let several = (bars |> List.map fst |> List.distinct).Length > 1
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
        let label (m, c) = if several then m + " " + Config.label c else Config.label c
        Charts.heatmap title "configuration" "error type" (bars |> List.map label) keys z

    /// Relative capability of one model's configurations by dimension (FP = 1.0).
    let capabilityRadar (title: string) (model: string) (points: CapabilityPoint list) : GenericChart =
        points
        |> List.filter (fun p -> p.Model = model)
        |> List.groupBy (fun p -> p.Config)
        |> List.sortBy (fst >> Config.order)
        |> List.map (fun (c, ps) -> Config.label c, ps |> List.map (fun p -> p.Dimension, p.Relative))
        |> Charts.radar title

    /// The ablation layout as bars: one group per configuration, one colour per column (FP, quantized, settings).
    let ablation (title: string) (rows: AblationRow list) : GenericChart =
        let several = (rows |> List.map (fun r -> r.Model) |> List.distinct).Length > 1
        let name (r: AblationRow) = if several then r.Model + " " + r.Configuration else r.Configuration
        [ yield "FP", rows |> List.map (fun r -> name r, r.Fp)
          yield "Quantized", rows |> List.map (fun r -> name r, r.Quantized)
          for s in Ablation.settings rows do
              yield s, rows |> List.choose (fun r -> Ablation.score s r |> Option.map (fun e -> name r, e)) ]
        |> Charts.groupedBar title "quantized configuration" "accuracy (%)"

    /// Kaplan–Meier survival by step with Greenwood bands: one plot for up to four curves, small multiples (the
    /// first curve in grey in each panel as the reference) beyond.
    let survival (title: string) (curves: SurvivalCurve list) : GenericChart =
        let series =
            curves |> List.map (fun c -> sprintf "%s (n=%d)" c.Group c.Chains, c.Survival |> List.map (fun p -> float p.Step, p.Survival))
        if curves.Length <= 4 then
            Charts.linesWithBands title "step index" "P(no error up to step)" series |> Charts.withYRange 0.0 1.02
        else Charts.smallMultiples title "step index" "P(no error up to step)" (0.0, 1.02) series

    /// Per-step hazard of a first error with Wilson bands (steps with at least ten chains at risk).
    let hazards (title: string) (curves: SurvivalCurve list) : GenericChart =
        let series =
            curves |> List.map (fun c -> c.Group, c.Hazards |> List.filter (fun h -> h.AtRisk >= 10) |> List.map (fun h -> float h.Step, h.Hazard))
        if curves.Length <= 4 then Charts.linesWithBands title "step index" "hazard of first error" series
        else Charts.smallMultiples title "step index" "hazard of first error" (0.0, 1.0) series

    /// First-error-only shares against the all-errors projection.
    let projection (title: string) (shares: ProjectedShare list) : GenericChart =
        let e v = { Value = v; Lower = v; Upper = v; Level = 0.0 }
        [ "first error only", shares |> List.map (fun s -> s.ErrorType, e s.FirstOnlyShare)
          "all errors (projected)", shares |> List.map (fun s -> s.ErrorType, e s.ProjectedShare) ]
        |> Charts.groupedBar title "error type" "share (%)"
        |> Charts.withSize 700 380

    /// Printed against recomputed Δ% for every quantized row of the published tables.
    let publishedDeltas (title: string) (checks: PublishedCheck list) : GenericChart =
        let pct = checks |> List.filter (fun c -> c.Quantity = "Δ%")
        let key (c: PublishedCheck) =
            let dataset = c.Table.Replace(".json", "")
            let dataset = dataset.Substring(dataset.IndexOf('-') + 1)
            let size = System.Text.RegularExpressions.Regex.Match(c.Model, @"\d+B")
            sprintf "%s %s %s" dataset (if size.Success then size.Value else c.Model) (c.Method.Split(' ').[0])
        let e (v: decimal) = let f = float v in { Value = f; Lower = f; Upper = f; Level = 0.0 }
        [ "printed Δ%", pct |> List.map (fun c -> key c, e c.Printed.Value)
          "recomputed Δ%", pct |> List.map (fun c -> key c, e c.Recomputed) ]
        |> Charts.groupedBar title "table, model, method" "Δ% (relative drop)"
        |> Charts.withSize 700 380
