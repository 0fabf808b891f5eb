using QuantReason.Jobs;
using Xunit;

namespace QuantReason.Tests.Jobs;

/// <summary>The <c>restore</c> section of a study configuration, read through <see cref="StudySpec.Load"/>.</summary>
public class RestoreSpecTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-restore-spec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string restore, string extra = "")
    {
        var path = Path.Combine(_dir, "study.yaml");
        File.WriteAllText(path, $"""
            model: ../m
            dataset:
              stepmath: {"{"}split: test, seed: 0, per_level: 7{"}"}
            prompt: step-tags
            max_new_tokens: 64
            configurations:
              - {"{"}method: fp{"}"}
              - {"{"}method: rtn, bits: 3, group_size: 32{"}"}{extra}
              - method: rtn
                bits: 2
                group_size: 32
                restore: {restore}
            """);
        return path;
    }

    [Fact]
    public void Restore_rows_parse_with_the_studys_defaults()
    {
        var spec = StudySpec.Load(Write("{align: {problems: 200}, pairs: {n: 100, from: [rtn-w2g32, rtn-w3g32], per_level: 40}, subsets: [all, conceptual, method, execution]}"));
        var r = spec.Configurations[2].Restore!;
        Assert.Null(spec.Configurations[1].Restore);
        Assert.Equal(200, r.Align.Problems);
        Assert.Equal(32, r.Align.Rank);
        Assert.Equal((100, 1, 40), (r.Pairs.N, r.Pairs.Seed, r.Pairs.PerLevel));
        Assert.Equal(["rtn-w2g32", "rtn-w3g32"], r.Pairs.From);
        // the paper's DPO: sigmoid β 0.1, LoRA rank 32, warm-up ratio 0.1, batch 8
        Assert.Equal(new DpoOptions(0.1f, 32, 64, 5e-5f, 3, 8, 0.1f, 0), r.Dpo);
        Assert.Equal(["all", "conceptual", "method", "execution"], r.Subsets);
        Assert.Equal(8, RestoreSpec.Hyperparameters(r.Dpo)["batch"]);
        Assert.Equal(0.1, RestoreSpec.Hyperparameters(r.Dpo)["warmup_ratio"]);
    }

    [Theory]
    [InlineData("{pairs: {from: [gptq-w4g32]}}", "not a quantized configuration")]
    [InlineData("{pairs: {from: [fp]}}", "not a quantized configuration")]
    [InlineData("{align: {}}", "missing 'pairs'")]
    [InlineData("{pairs: {from: []}}", "lists no configuration")]
    [InlineData("{pairs: {n: 0, from: [rtn-w2g32]}}", "pairs.n must be at least 1")]
    [InlineData("{pairs: {from: [rtn-w2g32]}, subsets: [arithmetic]}", "unknown subset 'arithmetic'")]
    [InlineData("{pairs: {from: [rtn-w2g32]}, subsets: [all, all]}", "twice")]
    [InlineData("{pairs: {from: [rtn-w2g32]}, dpo: {beta: 0}}", "dpo.beta")]
    [InlineData("{pairs: {from: [rtn-w2g32]}, dpo: {warmup_ratio: 1.5}}", "warmup_ratio")]
    [InlineData("{pairs: {from: [rtn-w2g32]}, dpo: {gamma: 1}}", "gamma")]
    public void Bad_restore_sections_are_one_error_naming_the_file(string restore, string expected)
    {
        var path = Write(restore);
        var e = Assert.Throws<QuantReasonException>(() => StudySpec.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Where);
    }

    [Fact]
    public void Full_precision_has_nothing_to_restore()
    {
        var path = Write("{pairs: {from: [rtn-w2g32]}}", "\n  - {method: fp, restore: {pairs: {from: [rtn-w2g32]}}}");
        Assert.Contains("nothing to restore", Assert.Throws<QuantReasonException>(() => StudySpec.Load(path)).Message);
    }

    [Fact]
    public void The_shipped_study_restores_its_most_damaged_configuration()
    {
        var spec = StudySpec.Load(RepoFiles.PathOf("data", "studies", "stepmath.yaml"));
        var restored = Assert.Single(spec.Configurations, c => c.Restore is not null);
        Assert.Equal("rtn-w2g32", restored.Id(spec.QuantizeOptionsFor(restored)));
        Assert.Contains("rtn-w2g32", restored.Restore!.Pairs.From);
        Assert.True(restored.Restore.Pairs.N <= 545);
    }
}
