namespace QuantReason.Analysis

open System
open System.IO
open System.Text
open Plotly.NET
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

    /// Survival curves of labelled rows, one per configuration (and model, when there are several), full precision
    /// first and then in the degradation table's order, so the reference curve leads the small multiples.
    let survivalCurves (labelled: Row list) : SurvivalCurve list =
        let several = (labelled |> List.map (fun r -> r.Model) |> List.distinct).Length > 1
        let group (r: Row) = if several then r.Model + " " + Config.label r.Config else Config.label r.Config
        let order = labelled |> List.map (fun r -> group r, (r.Model, Config.order r.Config)) |> Map.ofList
        labelled |> Survival.chainsOfRows group |> Survival.curvesBy |> List.sortBy (fun c -> order.[c.Group])

    /// The figures and tables of a paper, computed before anything is rendered so that bad input fails fast.
    let plan (options: PaperOptions) : (string * GenericChart) list * (string * Table) list =
        // One dataset per table: a study folder holding QAT runs feeds only the QAT findings table; the others feed
        // the rest (or, given QAT studies alone, their untrained runs do).
        let qatStudies, studies = options.Runs |> List.map (fun p -> resolveRuns [ p ]) |> List.partition (List.exists QatFindings.isQat)
        let runs = List.concat (if studies.IsEmpty then qatStudies else studies)
        let dataset = RunDirectory.requireOneDataset runs
        let synthetic = runs |> List.exists Demo.isSynthetic
        let tag = if synthetic then " [SYNTHETIC demo input]" else ""
        let untrained = runs |> List.filter (fun r -> r.Manifest.Training.IsNone)
        let figures = ResizeArray<string * GenericChart>()
        let tables = ResizeArray<string * Table>()
        let about = Figures.subject (untrained |> List.map (fun r -> r.Manifest.Model.Name)) dataset.Name
        let degradation = Degradation.table untrained
        figures.Add("degradation", Figures.degradation (sprintf "Accuracy of %s by quantization%s" about tag) degradation)
        tables.Add("degradation", Tables.degradation (sprintf "Accuracy on %s: score, Δ and Δ%% against full precision%s" dataset.Name tag) degradation)
        let rows = Frame.ofRuns None untrained
        if rows |> List.exists (fun r -> r.Level.IsSome) then
            figures.Add("degradation-by-level", Figures.degradationByLevel (sprintf "Accuracy (%%) of %s by difficulty level%s" about tag) rows)
        let capability = rows |> Capability.relative Capability.bySubject
        for model in capability |> List.map (fun p -> p.Model) |> List.distinct do
            let title = sprintf "Relative capability of %s (FP = 1.0)%s" (Figures.subject [ model ] dataset.Name) tag
            figures.Add("capability-" + slug model, Figures.capabilityRadar title model capability)
        let labelled = rows |> List.filter (fun r -> r.Label.IsSome)
        if not labelled.IsEmpty then
            let failures = labelled |> List.filter (fun r -> not r.Correct)
            let categories = ErrorTypes.byCategory failures
            let types = ErrorTypes.byType failures
            figures.Add("error-categories", Figures.errorCategories (sprintf "First errors of %s by category%s" about tag) categories)
            figures.Add("error-types", Figures.errorTypeHeatmap (sprintf "Share of first errors of %s by type (%%)%s" about tag) types)
            tables.Add("error-categories", Tables.errorShares ("First errors by category" + tag) "error-categories" categories)
            tables.Add("error-types", Tables.errorShares ("First errors by type" + tag) "error-types" types)
            let curves = survivalCurves labelled
            figures.Add("survival-runs", Figures.survival (sprintf "Survival of reasoning chains of %s%s" about tag) curves)
            tables.Add("hazards-runs", Tables.hazards ("Hazard of a first error by step" + tag) curves)
            let projection = Survival.chainsOfRows (fun r -> r.Model) failures |> Survival.allErrorsProjection
            figures.Add("all-errors-projection", Figures.projection (sprintf "First errors of %s against all errors (projected)%s" about tag) projection)
            tables.Add("all-errors-projection", Tables.projection ("First-error shares against all errors (projected)" + tag) projection)
        let restoration = Restoration.table runs
        if not restoration.IsEmpty then
            let ablation = Ablation.ofRestoration restoration
            let about = Figures.subject (ablation |> List.map (fun r -> r.Model)) dataset.Name
            figures.Add("ablation", Figures.ablation (sprintf "Accuracy of %s after alignment and DPO by error-type subset%s" about tag) ablation)
            tables.Add("ablation", Tables.ablation (sprintf "Accuracy (%%) on %s after format alignment and DPO on each error-type subset (Setting 0 all types, 1 conceptual, 2 method, 3 execution)%s" dataset.Name tag) ablation)
            tables.Add("restoration", Tables.restoration (sprintf "Restoration on %s: gain and capability recovered, (restored − quantized) / (FP − quantized), paired bootstrap over problems%s" dataset.Name tag) restoration)
            tables.Add("restoration-error-types", Tables.firstErrorChanges ("First errors by type before and after restoration" + tag) restoration)
        if not qatStudies.IsEmpty then
            let qat = List.concat qatStudies
            let qatDataset = RunDirectory.requireOneDataset qat
            let qatTag = if qat |> List.exists Demo.isSynthetic then " [SYNTHETIC demo input]" else ""
            tables.Add(
                "qat-findings",
                Tables.qatFindings
                    (sprintf "Reasoning-QAT findings, %s: accuracy with Wilson 95%% intervals over the problems both runs answered; A − B in points with a paired bootstrap 95%% interval over problem ids%s"
                        (Figures.subject (qat |> List.map (fun r -> r.Manifest.Model.Name)) qatDataset.Name) qatTag)
                    (QatFindings.table qat))
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

    /// Chart exports run at once (each is one chromium process, mostly idle while plotly draws).
    let exportsAtOnce = max 2 (min 4 Environment.ProcessorCount)

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
          for stem, _ in figures do
              yield Path.Combine(figureDir, stem + ".svg")
              yield Path.Combine(figureDir, stem + ".png") ]
        |> fun files ->
            // Each export starts its own chromium and mostly waits on it: a few at once, each figure to its own files.
            Threading.Tasks.Parallel.ForEach(
                figures,
                Threading.Tasks.ParallelOptions(MaxDegreeOfParallelism = exportsAtOnce),
                fun (stem, figure) ->
                    writeText (Path.Combine(figureDir, stem + ".svg")) (exporter.Value.Svg figure)
                    exporter.Value.WritePng(figure, Path.Combine(figureDir, stem + ".png"))
            )
            |> ignore
            List.sort files
