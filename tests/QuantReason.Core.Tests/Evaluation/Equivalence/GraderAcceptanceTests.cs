using System.Text.Json;
using QuantReason.Evaluation;
using QuantReason.Evaluation.Equivalence;
using Xunit.Abstractions;
using QuantReason.Data;
using QuantReason.Data.Datasets;

namespace QuantReason.Tests.Evaluation.Equivalence;

/// <summary>The grader against outside references in ../shared/data: the GSM8K authors' own labels and MATH's gold answers.</summary>
public class GraderAcceptanceTests(ITestOutputHelper output)
{
    static readonly string[] Gsm8kModels = ["6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"];

    /// <summary>
    /// Every model solution in the GSM8K authors' example file, extracted and graded against the ground truth's final
    /// answer, must agree with the authors' is_correct on ≥ 99.5%; every disagreement is printed for reading.
    /// </summary>
    [SharedFact]
    public void Gsm8k_verdicts_agree_with_the_authors_labels()
    {
        var total = 0;
        var disagreements = new List<string>();
        var rules = new Dictionary<string, int>();
        foreach (var line in JsonlReader.Read(Shared.PathOf("data", "gsm8k", "example_model_solutions.jsonl"), strict: true).Lines)
        {
            var gold = AnswerExtractor.Extract(line.Value.GetProperty("ground_truth").GetString()!);
            Assert.NotNull(gold.Answer);
            foreach (var model in Gsm8kModels)
            {
                if (!line.Value.TryGetProperty(model, out var sample)) continue;
                var solution = sample.GetProperty("solution").GetString()!;
                var predicted = AnswerExtractor.Extract(solution);
                var verdict = Grader.Equivalent(gold.Answer!, predicted.Answer);
                var rule = predicted.Rule?.Name() ?? "none";
                rules[rule] = rules.GetValueOrDefault(rule) + 1;
                total++;
                if (verdict.Equivalent == sample.GetProperty("is_correct").GetBoolean()) continue;
                var tail = solution.Length > 160 ? "…" + solution[^160..] : solution;
                disagreements.Add($"line {line.Line} {model}: gold {gold.Answer}, extracted {predicted.Answer} ({rule}), " +
                                  $"ours {verdict.Equivalent} ({verdict.DecidedBy}), authors {!verdict.Equivalent} :: {tail.ReplaceLineEndings(" / ")}");
            }
        }
        var agreement = 1 - (double)disagreements.Count / total;
        output.WriteLine($"GSM8K example solutions: {total} graded, {disagreements.Count} disagreements, agreement {agreement:P3}");
        output.WriteLine("rules: " + string.Join(", ", rules.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value}")));
        foreach (var d in disagreements) output.WriteLine(d);
        Assert.Equal(5276, total);
        Assert.True(agreement >= 0.995, $"agreement {agreement:P3} below 99.5%:\n{string.Join("\n", disagreements)}");
    }

    public static TheoryData<string> ProcessBenchFiles => Shared.Files("*.json", "data", "processbench");

    /// <summary>
    /// ProcessBench's real model solutions (Llama, Qwen, …) carry the authors' final_answer_correct; joined to the gold
    /// answer of the same problem in MATH / GSM8K test, our extraction + grading must agree on ≥ 98% (the rest are
    /// printed: mostly deliberate policy differences such as accepting 411/333 for 137/111, which ProcessBench rejects).
    /// </summary>
    [SharedTheory]
    [MemberData(nameof(ProcessBenchFiles))]
    public void ProcessBench_final_answer_labels_agree(string file)
    {
        var source = Path.GetFileNameWithoutExtension(file) == "gsm8k"
            ? DatasetLoader.Load(Shared.PathOf("data", "gsm8k", "test.jsonl"))
            : DatasetLoader.Load(Shared.PathOf("data", "math", "test.jsonl"));
        var gold = new Dictionary<string, string>();
        foreach (var p in source.Problems) gold.TryAdd(p.Text.Trim(), p.Gold);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Shared.PathOf("data", "processbench", file)));
        var total = 0;
        var disagreements = new List<string>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            Assert.True(gold.TryGetValue(item.GetProperty("problem").GetString()!.Trim(), out var g), "problem not in the test set");
            var solution = string.Join("\n\n", item.GetProperty("steps").EnumerateArray().Select(s => s.GetString()));
            var extraction = AnswerExtractor.Extract(solution);
            var verdict = Grader.Equivalent(g!, extraction.Answer);
            total++;
            if (verdict.Equivalent != item.GetProperty("final_answer_correct").GetBoolean())
                disagreements.Add($"{item.GetProperty("id").GetString()}: gold {g}, extracted {extraction.Answer} ({extraction.Rule?.Name()}), " +
                                  $"ours {verdict.Equivalent} ({verdict.DecidedBy})");
        }
        var agreement = 1 - (double)disagreements.Count / total;
        output.WriteLine($"ProcessBench {file}: {total} solutions, agreement {agreement:P2}");
        foreach (var d in disagreements) output.WriteLine(d);
        Assert.True(agreement >= 0.98, string.Join("\n", disagreements));
    }

    /// <summary>Each MATH-500 gold answer is equivalent to itself and to the last \boxed{} of its own solution.</summary>
    [SharedFact]
    public void Math500_gold_answers_match_themselves_and_their_solutions_box()
    {
        var d = DatasetLoader.Load(Shared.PathOf("data", "math500", "test.jsonl"), strict: true);
        Assert.Equal(500, d.Problems.Count);
        var failures = new List<string>();
        var decisions = new Dictionary<Decision, int>();
        foreach (var p in d.Problems)
        {
            var boxed = AnswerExtractor.LastBoxed(p.Solution!);
            var self = Grader.Equivalent(p.Gold, p.Gold);
            var box = Grader.Equivalent(p.Gold, boxed);
            decisions[box.DecidedBy] = decisions.GetValueOrDefault(box.DecidedBy) + 1;
            if (!self.Equivalent || !box.Equivalent) failures.Add($"{p.Id}: {p.Gold} | {boxed} ({self.DecidedBy}, {box.DecidedBy})");
        }
        output.WriteLine("decided by: " + string.Join(", ", decisions.OrderByDescending(x => x.Value).Select(x => $"{x.Key} {x.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// "Parses" means the normaliser and evaluator turned the answer into a value or a recognised structured/text answer
    /// (<see cref="AnswerValue.IsRecognised"/>), never the raw-string fallback; ≥ 99.9% of the 5000 MATH test answers must.
    /// </summary>
    [SharedFact]
    public void Math_test_boxed_answers_parse()
    {
        var d = DatasetLoader.Load(Shared.PathOf("data", "math", "test.jsonl"), strict: true);
        Assert.Equal(5000, d.Problems.Count);
        var unparsed = d.Problems.Where(p => !AnswerParser.Parse(p.Gold).IsRecognised).Select(p => $"{p.Id}: {p.Gold}").ToList();
        var rate = 1 - (double)unparsed.Count / d.Problems.Count;
        output.WriteLine($"MATH test: {d.Problems.Count - unparsed.Count}/{d.Problems.Count} parse ({rate:P2}); unparsed:");
        foreach (var u in unparsed) output.WriteLine(u);
        Assert.True(rate >= 0.999, string.Join("\n", unparsed));
    }
}
