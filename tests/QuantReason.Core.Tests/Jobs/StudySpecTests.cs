using QuantReason.Quantization.Model;
using Xunit;
using QuantReason.Jobs;
using QuantReason.Tests;

namespace QuantReason.Tests.Jobs;

public class StudySpecTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-study-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string yaml)
    {
        var path = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    const string Valid = """
        model: ../m
        dataset:
          stepmath: {split: test, seed: 3, per_level: 7}
        prompt: step-tags
        max_new_tokens: 64
        calibration: {source: stepmath, samples: 8, length: 32, chat_template: true}
        configurations:
          - {method: fp}
          - {method: rtn, bits: 4, group_size: 32}
          - {method: gptq, bits: 3, group_size: 32, desc_act: true}
          - {method: smoothquant}
          - {method: ptqtp, group_size: 32}
        """;

    [Fact]
    public void Shipped_study_loads()
    {
        var spec = StudySpec.Load(RepoFiles.PathOf("data", "studies", "stepmath.yaml"));
        Assert.Equal(RepoFiles.PathOf("data", "models", "stepmath-ref"), spec.Model);
        Assert.Contains(spec.Configurations, c => c.Method is null);
        // a fresh run is compared with the committed runs; they are not its output folder
        Assert.Equal(RepoFiles.PathOf("data", "runs", "stepmath-demo"), spec.Reference);
    }

    [Fact]
    public void Paths_resolve_against_the_file_and_configurations_name_their_runs()
    {
        var spec = StudySpec.Load(Write(Valid));
        Assert.Equal(Path.GetFullPath(Path.Combine(_dir, "..", "m")), spec.Model);
        Assert.Equal(new StepMathSet(QuantReason.Data.StepMath.StepMathSplit.Test, 3, 7), spec.StepMath);
        Assert.Equal(16, spec.Batch);
        Assert.True(spec.Calibration.ChatTemplate);
        var ids = spec.Configurations.Select(c => c.Id(spec.QuantizeOptionsFor(c))).ToList();
        Assert.Equal(["fp", "rtn-w4g32", "gptq-w3g32-act", "smoothquant-w8a8", "ptqtp-g32"], ids);
        Assert.Null(spec.QuantizeOptionsFor(spec.Configurations[1])!.Calibration);
        Assert.Equal(QuantMethod.Gptq, spec.QuantizeOptionsFor(spec.Configurations[2])!.Method);
        Assert.Equal(8, spec.QuantizeOptionsFor(spec.Configurations[2])!.Calibration!.Samples);
    }

    [Theory]
    [InlineData("colour: blue", "colour")]
    [InlineData("configurations: []", "configurations")]
    [InlineData("configurations:\n  - {method: zip}", "zip")]
    [InlineData("max_new_tokens: 0", "max_new_tokens")]
    public void Bad_input_names_the_file_and_the_problem(string replacement, string expected)
    {
        var key = replacement.Split(':')[0];
        var lines = Valid.Split('\n').ToList();
        int at = lines.FindIndex(l => l.StartsWith(key + ":"));
        if (at >= 0)
        {
            // drop the key's block (its indented lines) before writing the replacement
            int end = at + 1;
            while (end < lines.Count && lines[end].StartsWith(' ')) end++;
            lines.RemoveRange(at, end - at);
        }
        lines.Add(replacement);
        var path = Write(string.Join('\n', lines));
        var e = Assert.Throws<QuantReasonException>(() => StudySpec.Load(path));
        Assert.Contains(path, e.Where + e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Missing_file_is_named() =>
        Assert.Contains("not found", Assert.Throws<QuantReasonException>(() => StudySpec.Load(Path.Combine(_dir, "none.yaml"))).Message);

    [Fact]
    public void Qat_rows_carry_init_objective_calibration_and_steps_and_get_their_own_ids()
    {
        var spec = StudySpec.Load(Write(Valid + """

              - {method: qat, bits: 2, group_size: 32, init: gptq, objective: kd, calibration: other, steps: 50}
              - {method: qat, bits: 2, group_size: 32, init: none, objective: sft, steps: 20}
            qat_training: {lr: 5.0e-4, batch_size: 32, temperature: 2}
            """));
        var gptq = spec.Configurations[^2];
        Assert.Equal(new QatSettings("gptq", "kd", "other", 50), gptq.Qat);
        Assert.Equal(QuantMethod.Gptq, gptq.Method);
        Assert.Null(spec.QuantizeOptionsFor(gptq)); // the QAT job quantizes the init itself, with the row's calibration
        Assert.Equal("qat-w2g32-gptq-kd-other-s50", gptq.Id(null));
        Assert.Equal("stepmath-problems", gptq.Qat!.CalibrationSource);
        var none = spec.Configurations[^1];
        Assert.Null(none.Method);
        Assert.Equal("qat-w2g32-none-sft-s20", none.Id(null));
        Assert.Equal(new QatHyperparameters(5e-4f, 32, 32, 1f, 2f), spec.QatTraining);
    }

    [Theory]
    [InlineData("{method: qat, bits: 2, group_size: 32, objective: kd, steps: 5}", "needs 'init'")]
    [InlineData("{method: qat, bits: 2, group_size: 32, init: smoothquant, steps: 5}", "qat init 'smoothquant'")]
    [InlineData("{method: qat, bits: 2, group_size: 32, init: gptq, objective: dpo, steps: 5}", "qat objective 'dpo'")]
    [InlineData("{method: qat, bits: 2, group_size: 32, init: gptq, calibration: wiki, steps: 5}", "qat calibration 'wiki'")]
    [InlineData("{method: qat, bits: 2, group_size: 32, init: gptq}", "needs 'steps'")]
    [InlineData("{method: qat, init: gptq, steps: 5}", "needs 'bits' and 'group_size'")]
    [InlineData("{method: gptq, bits: 2, group_size: 32, steps: 5}", "belong to method qat")]
    public void Bad_qat_rows_are_one_clear_error(string row, string message)
    {
        var e = Assert.Throws<QuantReasonException>(() => StudySpec.Load(Write(Valid + "\n  - " + row)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Findings_study_loads()
    {
        var spec = StudySpec.Load(RepoFiles.PathOf("data", "studies", "reasoning-qat.yaml"));
        Assert.Contains(spec.Configurations, c => c.Qat is { Init: "gptq", Objective: "kd", Calibration: "stepmath" });
        Assert.Contains(spec.Configurations, c => c.Qat is { Objective: "sft" });
        Assert.Contains(spec.Configurations, c => c.Qat is { Init: "none" });
        Assert.Contains(spec.Configurations, c => c.Qat is { Calibration: "other" });
        Assert.Equal(spec.Configurations.Count, spec.Configurations.Select(c => c.Id(spec.QuantizeOptionsFor(c))).Distinct().Count());
    }
}
