namespace QuantReason.Analysis

open System
open System.IO
open System.Text
open QuantReason

type PaperOptions =
    { /// Run directories, or folders whose sub-folders are run directories.
      Runs: string list
      /// The paper folder: figures go to `<Out>/figures`, tables to `<Out>/tables`.
      Out: string
      /// ProcessBench folder for the real-chain survival figures (None: left out).
      ProcessBench: string option
      /// Published tables folder (None: the repository's data/published when present).
      Published: string option }

/// `quantreason paper build`: regenerates every figure (SVG, PNG) and table (LaTeX booktabs, Markdown) from runs,
/// deterministically: fixed ordering, invariant number formats, seeded bootstraps, normalised SVG ids, no timestamps.
module PaperBuild =

    /// Run directories named by the options, in the order given (folders expand to their runs in name order).
    let resolveRuns (paths: string list) : Run list =
        if paths.IsEmpty then raise (QuantReasonException("no run directories given (--runs DIR...)", "paper build"))
        paths
        |> List.collect (fun p ->
            let full = Path.GetFullPath p
            if File.Exists(Path.Combine(full, "manifest.json")) then [ RunDirectory.load full ]
            elif Directory.Exists full then
                match RunDirectory.loadAll full with
                | [] -> raise (QuantReasonException("no run directories (folders with manifest.json) here", full))
                | runs -> runs
            else raise (QuantReasonException("run directory does not exist", full)))

    let private slug (s: string) =
        let sb = StringBuilder()
        for c in s.ToLowerInvariant() do
            sb.Append(if Char.IsLetterOrDigit c then c else '-') |> ignore
        sb.ToString().Trim('-')

    /// The figures and tables of a paper, computed before anything is rendered so that bad input fails fast.
    let plan (options: PaperOptions) : (string * Figure) list * (string * Table) list =
        let runs = resolveRuns options.Runs
        let dataset = RunDirectory.requireOneDataset runs
        let synthetic = runs |> List.exists Demo.isSynthetic
        let tag = if synthetic then " [SYNTHETIC demo input]" else ""
        let untrained = runs |> List.filter (fun r -> r.Manifest.Training.IsNone)
        let figures = ResizeArray<string * Figure>()
        let tables = ResizeArray<string * Table>()
        let degradation = Degradation.table untrained
        figures.Add("degradation", Figures.degradation (sprintf "Accuracy on %s by quantization%s" dataset.Name tag) degradation)
        tables.Add("degradation", Tables.degradation (sprintf "Accuracy on %s: score, Δ and Δ%% against full precision%s" dataset.Name tag) degradation)
        let capability = Frame.ofRuns None untrained |> Capability.relative Capability.bySubject
        for model in capability |> List.map (fun p -> p.Model) |> List.distinct do
            figures.Add("capability-" + slug model, Figures.capabilityRadar (sprintf "Relative capability, %s (FP = 1.0)%s" model tag) model capability)
        let labelled = Frame.ofRuns None untrained |> List.filter (fun r -> r.Label.IsSome)
        if not labelled.IsEmpty then
            let failures = labelled |> List.filter (fun r -> not r.Correct)
            let categories = ErrorTypes.byCategory failures
            let types = ErrorTypes.byType failures
            figures.Add("error-categories", Figures.errorCategories ("First errors by category" + tag) categories)
            figures.Add("error-types", Figures.errorTypeHeatmap ("Share of first errors by type (%)" + tag) types)
            tables.Add("error-categories", Tables.errorShares ("First errors by category" + tag) "error-categories" categories)
            tables.Add("error-types", Tables.errorShares ("First errors by type" + tag) "error-types" types)
            let curves = labelled |> Survival.chainsOfRows (fun r -> r.Model + " " + Config.label r.Config) |> Survival.curvesBy
            figures.Add("survival-runs", Figures.survival ("Survival of reasoning chains" + tag) curves)
            tables.Add("hazards-runs", Tables.hazards ("Hazard of a first error by step" + tag) curves)
            let projection = Survival.chainsOfRows (fun r -> r.Model) failures |> Survival.allErrorsProjection
            figures.Add("all-errors-projection", Figures.projection ("First errors against all errors (projected)" + tag) projection)
            tables.Add("all-errors-projection", Tables.projection ("First-error shares against all errors (projected)" + tag) projection)
        let ablation = Ablation.table runs
        if not ablation.IsEmpty then
            figures.Add("ablation", Figures.ablation ("Accuracy after restoration by subset" + tag) ablation)
            tables.Add("ablation", Tables.ablation ("Restoration by error-type training subset" + tag) ablation)
        let publishedFolder =
            match options.Published with
            | Some f -> Some f
            | None ->
                Paths.repoRoot ()
                |> Option.map (fun r -> Path.Combine(r, "data", "published"))
                |> Option.filter Directory.Exists
        match publishedFolder with
        | Some folder ->
            let checks = Published.loadFolder folder |> List.collect Published.check
            tables.Add("published-check", Tables.published "Published Δ and Δ% recomputed from the printed scores" checks)
            figures.Add("published-deltas", Figures.publishedDeltas "Printed vs recomputed relative drop" checks)
        | None -> ()
        match options.ProcessBench with
        | Some folder ->
            let curves = ProcessBench.loadFolder folder |> ProcessBench.chains ProcessBench.byDataset |> Survival.curvesBy
            figures.Add("survival-processbench", Figures.survival "ProcessBench: survival of reasoning chains" curves)
            figures.Add("hazards-processbench", Figures.hazards "ProcessBench: hazard of a first error by step" curves)
            tables.Add("hazards-processbench", Tables.hazards "ProcessBench: hazard of a first error and survival by step" curves)
        | None -> ()
        List.ofSeq figures, List.ofSeq tables

    let private writeText (path: string) (text: string) =
        // LF and no BOM on every platform: byte-identical output.
        File.WriteAllBytes(path, UTF8Encoding(false).GetBytes(text.Replace("\r\n", "\n")))

    /// Builds the paper's figures and tables; returns the files written, sorted. The exporter is only started
    /// once the inputs have been read and checked.
    let build (exporter: Lazy<ChartExporter>) (options: PaperOptions) : string list =
        let figures, tables = plan options
        let figureDir = Path.Combine(Path.GetFullPath options.Out, "figures")
        let tableDir = Path.Combine(Path.GetFullPath options.Out, "tables")
        Directory.CreateDirectory figureDir |> ignore
        Directory.CreateDirectory tableDir |> ignore
        [ for stem, table in tables do
              let md = Path.Combine(tableDir, stem + ".md")
              let tex = Path.Combine(tableDir, stem + ".tex")
              writeText md (Tables.toMarkdown table)
              writeText tex (Tables.toLatex { table with Label = stem })
              yield md
              yield tex
          for stem, figure in figures do
              let svg = Path.Combine(figureDir, stem + ".svg")
              let png = Path.Combine(figureDir, stem + ".png")
              writeText svg (exporter.Value.Svg figure)
              exporter.Value.WritePng(figure, png)
              yield svg
              yield png ]
        |> List.sort
