using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using QuantReason.Evaluation.Runs;
using QuantReason.Jobs;
using Xunit;

namespace QuantReason.Tests.Jobs;

public class PairBuilderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-pairs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string Digest(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
    static string Id(int i, string split = "train") => $"stepmath/{split}/{i % 5 + 1}/{i:D5}";
    static string Right(int i) => $"<|step_start|>{i}+1={i + 1}<|step_end|><|answer_start|>\\boxed{{{i + 1}}}<|answer_end|>";
    static string Wrong(int i, int off = 7) => $"<|step_start|>{i}+1={i + off}<|step_end|><|answer_start|>\\boxed{{{i + off}}}<|answer_end|>";

    sealed record P(string Id, bool Correct, string Output, string? Type = null, string? Category = null);

    /// <summary>A run directory written through <see cref="RunDirectory"/>, with verifier labels for its wrong answers.</summary>
    string Run(string name, string? method, IReadOnlyList<P> predictions, string dataset = "train-a")
    {
        var path = Path.Combine(_dir, name);
        var manifest = new RunManifest
        {
            RunId = name,
            Model = new ModelInfo("m", null, null, "llama", null),
            Quantization = method is null ? null : new QuantizationInfo(method, 2, 32, false, false, null),
            Dataset = new DatasetInfo("stepmath-train.jsonl", null, Digest(dataset), 50),
            Prompt = new PromptInfo("step-tags", null),
            Generation = new GenerationInfo(96, 0, 1, 0, 0, 1),
            Backend = new BackendInfo("in-process", null, 0, 0),
        };
        using (var run = RunDirectory.OpenOrCreate(path, manifest))
        {
            foreach (var p in predictions)
                run.Append(new PredictionRecord
                {
                    ProblemId = p.Id, Level = int.Parse(p.Id.Split('/')[2]), Prompt = $"<s>{p.Id.Split('/')[3]}+1", Output = p.Output,
                    Gold = "x", Correct = p.Correct,
                });
            run.WriteLabels(predictions.Select(p => new LabelRecord(p.Id, 0, "verifier", 1, p.Correct ? -1 : 0,
                p.Correct ? null : p.Type ?? "computational_error", null, p.Correct ? null : p.Type is null ? "execution" : p.Category, "t", 1)));
        }
        return path;
    }

    string Fp(int n, Func<int, bool>? correct = null) =>
        Run("fp", null, Enumerable.Range(0, n).Select(i => new P(Id(i), correct?.Invoke(i) ?? true, Right(i))).ToList());

    static List<PreferencePair> Read(string dir) =>
        File.ReadLines(Path.Combine(dir, PairBuilder.PairsFile)).Select(l => JsonSerializer.Deserialize<PreferencePair>(l)!).ToList();

    [Fact]
    public void Pairs_are_fp_right_and_quantized_wrong_in_the_dpo_layout()
    {
        var fp = Fp(6, i => i != 1);
        var q = Run("q", "rtn", Enumerable.Range(0, 6).Select(i => new P(Id(i), i % 2 == 0, i % 2 == 0 ? Right(i) : Wrong(i))).ToList());
        var s = PairBuilder.Build(fp, [q], null, new PairOptions(), Path.Combine(_dir, "out"));
        var pairs = Read(Path.Combine(_dir, "out"));
        Assert.Equal(new[] { Id(3), Id(5) }.Order(StringComparer.Ordinal), pairs.Select(p => p.ProblemId)); // the file is ordered by problem
        pairs = pairs.OrderBy(p => p.ProblemId == Id(5)).ToList();
        Assert.Equal(1, s.Dropped["fp_also_wrong"]); // problem 1: nothing to prefer
        Assert.All(pairs, p => Assert.Equal("fp", p.ChosenRun));
        Assert.Equal("00003+1", pairs[0].Prompt);
        Assert.Equal(Right(3), pairs[0].Chosen);
        Assert.Equal(Wrong(3), pairs[0].Rejected);
        Assert.Equal(new PairLabel("verifier", "computational_error", "execution", 0), pairs[0].Label);
        // TRL's DPO trainer reads these three keys
        var line = JsonDocument.Parse(File.ReadLines(Path.Combine(_dir, "out", PairBuilder.PairsFile)).First()).RootElement;
        Assert.Equal(JsonValueKind.String, line.GetProperty("prompt").ValueKind);
        Assert.Equal(PairBuilder.Sha256(Path.Combine(_dir, "out", PairBuilder.PairsFile)), s.PairsSha256);
    }

    [Fact]
    public void Same_problem_with_near_identical_rejected_text_is_one_pair()
    {
        var fp = Fp(3);
        var q1 = Run("q1", "rtn", [new P(Id(0), false, Wrong(0)), new P(Id(1), false, Wrong(1)), new P(Id(2), true, Right(2))]);
        // problem 0: the same text with a space; problem 1: a clearly different wrong chain
        var q2 = Run("q2", "gptq", [new P(Id(0), false, Wrong(0).Replace("<|step_end|>", " <|step_end|>")), new P(Id(1), false, Wrong(1, 30) + Wrong(1, 40)),
            new P(Id(2), true, Right(2))]);
        var s = PairBuilder.Build(fp, [q1, q2], null, new PairOptions(), Path.Combine(_dir, "out"));
        Assert.Equal(3, s.Kept);
        Assert.Equal(1, s.Dropped["duplicate"]);
        Assert.True(PairBuilder.NearIdentical(Wrong(12345), Wrong(12345, 8))); // one wrong digit, carried into the answer
        Assert.False(PairBuilder.NearIdentical(Wrong(1), Wrong(1, 30) + Wrong(1, 40)));
    }

    [Fact]
    public void Pairs_are_drawn_in_proportion_to_error_rates_up_to_the_cap()
    {
        var fp = Fp(50);
        var q1 = Run("q1", "rtn", Enumerable.Range(0, 50).Select(i => new P(Id(i), i >= 40, i >= 40 ? Right(i) : Wrong(i))).ToList());   // 80 % wrong
        var q2 = Run("q2", "gptq", Enumerable.Range(0, 50).Select(i => new P(Id(i), i < 40, i < 40 ? Right(i) : Wrong(i, 9))).ToList()); // 20 % wrong
        var s = PairBuilder.Build(fp, [q1, q2], null, new PairOptions(N: 10), Path.Combine(_dir, "out"));
        Assert.Equal([8, 2], s.Sources.Select(x => x.Quota));
        Assert.Equal([8, 2], s.Sources.Select(x => x.Kept));
        Assert.Equal(40, s.Dropped["over_cap"]);
        Assert.Equal(10, Read(Path.Combine(_dir, "out")).Count);
        // a run with fewer candidates than its share gives the rest to the others
        Assert.Equal([2, 4, 4], PairBuilder.Quotas([(0.5, 2), (0.25, 100), (0.25, 100)], 10));
        Assert.Equal([3, 1], PairBuilder.Quotas([(0.3, 3), (0.1, 1)], 545));
    }

    [Fact]
    public void The_draw_is_seeded()
    {
        var fp = Fp(50);
        var q = Run("q", "rtn", Enumerable.Range(0, 50).Select(i => new P(Id(i), false, Wrong(i))).ToList());
        byte[] Draw(int seed, string name)
        {
            PairBuilder.Build(fp, [q], null, new PairOptions(N: 10, Seed: seed), Path.Combine(_dir, name));
            return File.ReadAllBytes(Path.Combine(_dir, name, PairBuilder.PairsFile));
        }
        Assert.Equal(Draw(3, "a"), Draw(3, "b"));
        Assert.NotEqual(Draw(3, "a"), Draw(4, "c"));
    }

    [Fact]
    public void Subsets_keep_a_category_or_a_type_and_an_empty_one_is_an_error()
    {
        var fp = Fp(4);
        var q = Run("q", "rtn", [
            new P(Id(0), false, Wrong(0), "conceptual_misunderstanding", "conceptual"),
            new P(Id(1), false, Wrong(1), "computational_error", "execution"),
            new P(Id(2), false, Wrong(2), "symbolic_manipulation_error", "execution"),
            new P(Id(3), true, Right(3))]);
        Assert.Equal(1, PairBuilder.Build(fp, [q], null, new PairOptions(Subset: "conceptual"), Path.Combine(_dir, "c")).Kept);
        var execution = PairBuilder.Build(fp, [q], null, new PairOptions(Subset: "execution"), Path.Combine(_dir, "e"));
        Assert.Equal(2, execution.Kept);
        Assert.Equal(1, execution.Dropped["outside_subset"]);
        PairBuilder.Build(fp, [q], null, new PairOptions(Subset: "computational_error"), Path.Combine(_dir, "t"));
        Assert.Equal([Id(1)], Read(Path.Combine(_dir, "t")).Select(p => p.ProblemId));
        var e = Assert.Throws<QuantReasonException>(() => PairBuilder.Build(fp, [q], null, new PairOptions(Subset: "method"), Path.Combine(_dir, "m")));
        Assert.Contains("subset 'method' holds no pair", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "m", PairBuilder.PairsFile)));
        Assert.Contains("unknown subset", Assert.Throws<QuantReasonException>(() =>
            PairBuilder.Build(fp, [q], null, new PairOptions(Subset: "arithmetic"), Path.Combine(_dir, "x"))).Message);
    }

    [Fact]
    public void Runs_over_different_datasets_are_refused()
    {
        var fp = Fp(3);
        var q = Run("q", "rtn", [new P(Id(0), false, Wrong(0))], dataset: "train-b");
        var e = Assert.Throws<QuantReasonException>(() => PairBuilder.Build(fp, [q], null, new PairOptions(), Path.Combine(_dir, "out")));
        Assert.Contains("different datasets or splits", e.Message);
        Assert.Equal(q, e.Where);
        Assert.Contains("chosen answers must come from a full-precision run",
            Assert.Throws<QuantReasonException>(() => PairBuilder.Build(q, [q], null, new PairOptions(), Path.Combine(_dir, "out"))).Message);
    }

    [Fact]
    public void The_evaluated_split_and_stepmath_test_problems_are_refused()
    {
        var evaluated = Path.Combine(_dir, "eval.jsonl");
        File.WriteAllText(evaluated, $$"""{"problem": "3+1", "solution": "x", "answer": "4", "unique_id": "{{Id(3)}}", "level": 4}""" + "\n");
        var fp = Fp(5);
        var q = Run("q", "rtn", Enumerable.Range(0, 5).Select(i => new P(Id(i), false, Wrong(i))).ToList());
        var e = Assert.Throws<QuantReasonException>(() => PairBuilder.Build(fp, [q], evaluated, new PairOptions(), Path.Combine(_dir, "out")));
        Assert.Contains("leak", e.Message);

        var fpTest = Run("fp-test", null, [new P(Id(0, "test"), true, Right(0))], dataset: "test");
        var qTest = Run("q-test", "rtn", [new P(Id(0, "test"), false, Wrong(0))], dataset: "test");
        Assert.Contains("test-split leak", Assert.Throws<QuantReasonException>(() =>
            PairBuilder.Build(fpTest, [qTest], null, new PairOptions(), Path.Combine(_dir, "out"))).Message);
        Assert.False(File.Exists(Path.Combine(_dir, "out", PairBuilder.PairsFile)));
    }

    [Fact]
    public void The_committed_test_split_runs_are_refused_as_a_leak()
    {
        var runs = RepoFiles.PathOf("data", "runs", "stepmath-demo");
        if (!Directory.Exists(Path.Combine(runs, "stepmath-ref-fp"))) return; // the committed runs are part of the repository
        var e = Assert.Throws<QuantReasonException>(() => PairBuilder.Build(Path.Combine(runs, "stepmath-ref-fp"),
            [Path.Combine(runs, "stepmath-ref-rtn-w2g32")], Path.Combine(runs, "stepmath-test.jsonl"), new PairOptions(), Path.Combine(_dir, "out")));
        Assert.Contains("test-split leak", e.Message);
    }
}
