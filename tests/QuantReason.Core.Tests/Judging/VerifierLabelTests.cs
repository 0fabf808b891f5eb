using System.Text.Json;
using System.Text.RegularExpressions;
using QuantReason.Data.StepMath;
using QuantReason.Judging;
using QuantReason.Tests;
using QuantReason.Evaluation.Runs;
using QuantReason.Jobs;

namespace QuantReason.Tests.Judging;

public class VerifierLabelTests
{
    static string Schema() => File.ReadAllText(RepoFiles.PathOf("data", "schemas", "run-directory.md"));

    [Fact]
    public void Fields_are_those_of_the_run_directory_labels_table()
    {
        var section = Schema().Split("## labels.jsonl")[1];
        var expected = Regex.Matches(section, @"^\| `([a-z_0-9]+)` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Order();
        var verdict = StepVerifier.Verify(StepMathProblem.Parse("2+3*4"), "<|step_start|>2+3=5<|step_end|>");
        var json = JsonSerializer.Serialize(VerifierLabel.From("stepmath/test/2/00001", 0, verdict, Taxonomy.Default), RunJson.Line);
        Assert.Equal(expected, JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public void A_v1_verdict_is_written_in_both_taxonomies()
    {
        var verdict = StepVerifier.Verify(StepMathProblem.Parse("2+3*4"), "<|step_start|>2+3=5<|step_end|><|step_start|>5*4=20<|step_end|><|answer_start|>\\boxed{20}<|answer_end|>");
        var label = VerifierLabel.From("p", 2, verdict, Taxonomy.Default);
        Assert.Equal(("verifier", 2, 0, 2), (label.Labeller, label.Sample, label.FirstErrorStep, label.NumSteps));
        Assert.Equal(("logical_reasoning_error", "logical_error", "reasoning"), (label.ErrorType, label.ErrorTypeV1, label.Category));
    }

    [Fact]
    public void Format_errors_and_correct_outputs_have_no_category()
    {
        var p = StepMathProblem.Parse("2+3");
        var format = VerifierLabel.From("p", 0, StepVerifier.Verify(p, "5"), Taxonomy.Default);
        Assert.Equal(("format_error", null, null), (format.ErrorType, format.ErrorTypeV1, format.Category));
        var right = VerifierLabel.From("p", 0, StepVerifier.Verify(p, p.Solution), Taxonomy.Default);
        Assert.Equal((null, null, null, -1), (right.ErrorType, right.ErrorTypeV1, right.Category, right.FirstErrorStep));
    }
}
