namespace QuantReason.Analysis

/// One quantized configuration in the study's ablation layout: FP, quantized, format-aligned and DPO on each error-type
/// subset (Settings 0–3) side by side, every score over the problems its restoration row pairs.
type AblationRow =
    { Model: string
      Configuration: string
      BaseRun: string
      Fp: Estimate
      Quantized: Estimate
      /// Setting (`Aligned`, `Setting 0 (all)`, …) → its restoration row, in setting order.
      Restored: (string * RestorationRow) list }

/// Ablations over error-type training subsets: the restoration rows regrouped per quantized configuration.
module Ablation =

    let ofRestoration (rows: RestorationRow list) : AblationRow list =
        rows
        |> List.groupBy (fun r -> r.Model, r.BaseRun)
        |> List.map (fun ((model, baseRun), rs) ->
            let first = List.head rs
            { Model = model
              Configuration = first.Configuration
              BaseRun = baseRun
              Fp = first.Fp
              Quantized = first.Quantized
              Restored = rs |> List.map (fun r -> r.Setting, r) |> List.distinctBy fst })

    let table (runs: Run list) : AblationRow list = Restoration.table runs |> ofRestoration

    /// The setting columns present, in the study's order (Aligned, Settings 0–3, then single-type subsets).
    let settings (rows: AblationRow list) : string list =
        rows |> List.collect (fun r -> r.Restored |> List.map fst) |> List.distinct |> List.sortBy Restoration.settingOrder

    /// A row's score in a setting column, when it has a run there.
    let score (setting: string) (row: AblationRow) : Estimate option =
        row.Restored |> List.tryFind (fun (s, _) -> s = setting) |> Option.map (fun (_, r) -> r.Score)
