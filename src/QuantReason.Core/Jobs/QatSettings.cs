using System.Globalization;

namespace QuantReason.Jobs;

/// <summary>
/// One QAT row of a study (<c>{method: qat, bits, group_size, init, objective, calibration, steps}</c>): the PTQ checkpoint
/// the student starts from (<c>gptq</c>, <c>awq</c>, <c>rtn</c>, or <c>none</c> for plain fake quantization of the
/// full-precision weights), the objective (<c>kd</c>: distillation from the full-precision model; <c>sft</c>: cross-entropy
/// on the data), the init's calibration domain (<c>stepmath</c>, the QAT training domain, or <c>other</c>: StepMath
/// problem statements alone, no reasoning traces), and the optimizer steps.
/// </summary>
public sealed record QatSettings(string Init, string Objective, string Calibration, int Steps)
{
    public static readonly string[] Inits = ["gptq", "awq", "rtn", "none"];
    public static readonly string[] Objectives = ["kd", "sft"];
    public static readonly string[] Calibrations = ["stepmath", "other"];

    /// <summary>Whether the init is calibrated (its calibration domain is part of the row).</summary>
    public bool Calibrated => Init is "gptq" or "awq";

    /// <summary>The calibration source the init is quantized with.</summary>
    public string CalibrationSource => Calibration == "other" ? "stepmath-problems" : "stepmath";

    public string Id(int bits, int groupSize) =>
        $"qat-w{bits}g{groupSize}-{Init}-{Objective}{(Calibrated ? "-" + Calibration : "")}-s{Steps}";

    public void Validate(string where)
    {
        if (!Inits.Contains(Init)) throw new QuantReasonException($"qat init '{Init}' is not one of {string.Join(", ", Inits)}", where);
        if (!Objectives.Contains(Objective)) throw new QuantReasonException($"qat objective '{Objective}' is not one of {string.Join(", ", Objectives)}", where);
        if (!Calibrations.Contains(Calibration)) throw new QuantReasonException($"qat calibration '{Calibration}' is not one of {string.Join(", ", Calibrations)}", where);
        if (Steps <= 0) throw new QuantReasonException($"qat steps must be positive, got {Steps}", where);
    }
}

/// <summary>The QAT rows' shared training hyper-parameters (a study's <c>qat_training</c> section).</summary>
public sealed record QatHyperparameters(
    float LearningRate = 1e-3f, int BatchSize = 64, int MicroBatchSize = 64, float Alpha = 1f, float Temperature = 1f,
    bool LearnScales = true, int DataSeed = 1, int Seed = 0, int CheckpointEvery = 50)
{
    public IReadOnlyDictionary<string, double> AsDictionary() => new Dictionary<string, double>
    {
        // f32 settings written as the decimals the study file gave (1e-3, not 0.0010000000474974513)
        ["lr"] = double.Parse(LearningRate.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        ["batch_size"] = BatchSize, ["alpha"] = Alpha, ["temperature"] = Temperature,
        ["learn_scales"] = LearnScales ? 1 : 0, ["data_seed"] = DataSeed, ["seed"] = Seed,
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"lr {LearningRate}, batch {BatchSize}, alpha {Alpha}, T {Temperature}, learn_scales {LearnScales}");
}
