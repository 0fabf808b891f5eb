namespace QuantReason.Analysis

/// Typed records of a run directory (data/schemas/run-directory.md, schema version 1). Only what analysis reads is
/// kept; the prompt and raw output text stay on disk.

type ModelInfo =
    { Name: string
      Architecture: string option
      Digest: string option
      Params: int64 option }

type Quantization =
    { Method: string
      Bits: int
      GroupSize: int option
      Sym: bool option
      ActOrder: bool option }

type Training =
    { Method: string
      /// `align` (format alignment, LoRA/QLoRA SFT) or `dpo`; other methods (`qat`, `sft`) name their own stage.
      Stage: string
      /// Error-type subset the restoration data was drawn from (`all`, `conceptual`, `computational_error`, …).
      Subset: string
      Pairs: int option
      /// Run id of the quantized configuration this run restores (None in runs written before the field existed).
      BaseRun: string option
      /// QAT runs (stage `qat`): the student's initialisation (`gptq`, `rtn`, `none`), objective (`kd`, `sft`), the
      /// calibration domain of a PTQ init, and training steps; None elsewhere.
      Init: string option
      Objective: string option
      Calibration: string option
      Steps: int option }

type DatasetInfo =
    { Name: string
      Digest: string option
      Size: int option }

type Manifest =
    { SchemaVersion: int
      RunId: string
      Model: ModelInfo
      /// None for full precision.
      Quantization: Quantization option
      Training: Training option
      Dataset: DatasetInfo
      Samples: int
      Tags: Map<string, string>
      Status: string }

type Prediction =
    { ProblemId: string
      Sample: int
      Subject: string option
      Level: int option
      FinishReason: string
      Extracted: string option
      Gold: string
      Correct: bool
      TokensOut: int }

type Label =
    { ProblemId: string
      Sample: int
      Labeller: string
      NumSteps: int
      /// 0-based index of the first wrong step; None when the chain survived to its end (−1 on disk).
      FirstErrorStep: int option
      ErrorType: string option
      Category: string option
      Confidence: float option }

type Run =
    { /// Absolute path of the run directory: every error about the run names it.
      Path: string
      Manifest: Manifest
      /// Answered samples only: every accuracy is computed over these.
      Predictions: Prediction list
      /// Lines an earlier writer recorded for failed requests (finish_reason `error`): no answer, so never counted as
      /// wrong; a resumed run retries them.
      Failed: Prediction list
      Labels: Label list }

/// How a run was quantized and restored, as one comparable key: `FP` or `GPTQ W4`, plus the training subset.
type Config =
    { Method: string
      Bits: int option
      Training: string option }

module Config =
    let fullPrecision = { Method = "fp"; Bits = None; Training = None }

    let ofManifest (m: Manifest) : Config =
        { Method = (match m.Quantization with Some q -> q.Method | None -> "fp")
          Bits = m.Quantization |> Option.map (fun q -> q.Bits)
          Training =
            m.Training
            |> Option.map (fun t -> if t.Stage = "align" then t.Method + ":aligned" else t.Method + ":" + t.Subset) }

    let isFullPrecision (c: Config) = c.Method = "fp" && c.Training.IsNone

    /// Activation bits of a method: SmoothQuant quantizes activations to int8 per token (W8A8); every other
    /// method here is weight-only, so activations stay 16-bit.
    let activationBits (method: string) = if method = "smoothquant" || method = "w8a8" then 8 else 16

    /// How the papers spell each method; others are upper-cased.
    let private methodNames = Map [ "smoothquant", "SmoothQuant"; "w8a8", "SmoothQuant"; "ptqtp", "PTQTP" ]

    let methodName (method: string) =
        methodNames |> Map.tryFind method |> Option.defaultWith (fun () -> method.ToUpperInvariant())

    /// `FP`, `GPTQ W4A16`, `SmoothQuant W8A8`, `RTN W3A16 + dpo:conceptual`.
    let label (c: Config) : string =
        let q =
            match c.Bits with
            | None -> "FP"
            | Some b -> sprintf "%s W%dA%d" (methodName c.Method) b (activationBits c.Method)
        match c.Training with
        | None -> q
        | Some t -> q + " + " + t

    /// Sort key: full precision first, then method name, then more bits first, untrained before trained.
    let order (c: Config) = (c.Bits.IsSome, c.Method, -(defaultArg c.Bits 99), defaultArg c.Training "")
