namespace QuantReason.Analysis

/// Score of a quantized model after restoration trained on one error-type subset, against the same quantized
/// model untrained and its full-precision original.
type AblationRow =
    { Model: string
      /// The quantization the restoration starts from (`GPTQ W4`).
      Quantization: string
      TrainingMethod: string
      Subset: string
      Pairs: int option
      Score: Estimate
      /// Score − untrained quantized score, in points.
      Gain: float option
      /// Share of the FP − quantized gap closed: (score − Q) / (FP − Q); None when there is no gap.
      Recovered: float option }

/// Ablations over error-type training subsets (runs whose manifest `training.subset` names the subset).
module Ablation =

    let level = 0.95

    let private score (rows: Row list) =
        let k = rows |> List.filter (fun r -> r.Correct) |> List.length
        Stats.wilson level k rows.Length |> Stats.scale 100.0

    let table (runs: Run list) : AblationRow list =
        RunDirectory.requireOneDataset runs |> ignore
        let runsOf model = runs |> List.filter (fun r -> r.Manifest.Model.Name = model)
        [ for model in runs |> List.map (fun r -> r.Manifest.Model.Name) |> List.distinct do
              let mine = runsOf model
              let rowsOf (r: Run) = Frame.ofRun None r
              let fp =
                  mine
                  |> List.tryFind (fun r -> Config.isFullPrecision (Config.ofManifest r.Manifest))
                  |> Option.map (rowsOf >> Frame.accuracy)
              let trained =
                  mine
                  |> List.filter (fun r -> r.Manifest.Training.IsSome)
                  |> List.sortBy (fun r ->
                      let c = Config.ofManifest r.Manifest
                      Config.order { c with Training = None }, r.Manifest.Training.Value.Method, r.Manifest.Training.Value.Subset)
              for run in trained do
                  let t = run.Manifest.Training.Value
                  let quant = { Config.ofManifest run.Manifest with Training = None }
                  let untrained =
                      mine
                      |> List.tryFind (fun r -> Config.ofManifest r.Manifest = quant)
                      |> Option.map (rowsOf >> Frame.accuracy)
                  let s = score (rowsOf run)
                  let gain = untrained |> Option.map (fun q -> s.Value - q)
                  let recovered =
                      match fp, untrained with
                      | Some f, Some q when abs (f - q) > 1e-12 -> Some((s.Value - q) / (f - q))
                      | _ -> None
                  yield
                      { Model = model
                        Quantization = Config.label quant
                        TrainingMethod = t.Method
                        Subset = t.Subset
                        Pairs = t.Pairs
                        Score = s
                        Gain = gain
                        Recovered = recovered } ]
