using QuantReason.Evaluation;
using QuantReason.Evaluation.Imports;
using QuantReason.Evaluation.Runs;
using QuantReason.Tests.Cli;

namespace QuantReason.Tests.Evaluation.Imports;

public sealed class PredictionImportTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-import-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    string Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    List<PredictionRecord> Import(ImportFormat format, string file, string run, string? dataset = null, List<string>? warnings = null)
    {
        PredictionImport.Import(new ImportJob { Format = format, File = file, Out = Path.Combine(_dir, run), Dataset = dataset }, warnings ?? []);
        return RunDirectory.ReadPredictions(Path.Combine(_dir, run, RunDirectory.PredictionsFile));
    }

    [Fact]
    public void An_lm_eval_log_is_read_once_per_document_and_graded_by_our_grader()
    {
        var file = Write("meta-llama__Llama-3.2-1B/samples_gsm8k_2025-01-31T10-11-12.123456.jsonl", ImportSamples.LmEvalGsm8k);
        var records = Import(ImportFormat.LmEval, file, "lm");
        Assert.Equal([("0", "13", true), ("1", "12", false)], records.Select(r => (r.ProblemId, r.Gold, r.Correct)));
        Assert.Equal(ExtractionRule.Gsm8kHash, records[0].Rule);
        Assert.StartsWith("Question: Janet has 16 eggs", records[0].Prompt);
        var m = RunDirectory.ReadManifest(Path.Combine(_dir, "lm"));
        Assert.Equal(("meta-llama__Llama-3.2-1B", "gsm8k", "lm-eval", 256), (m.Model.Name, m.Dataset.Name, m.Backend.Kind, m.Generation.MaxNewTokens));
        Assert.Equal((RunStatus.Complete, 2, 1), (m.Status, m.Counts.Completed, m.Counts.Correct));
    }

    [Fact]
    public void Repeats_become_samples_and_equivalent_forms_are_graded_equal()
    {
        var file = Write("m/samples_minerva_math_prealgebra_2025-01-31T10-11-12.jsonl", ImportSamples.LmEvalMinervaMath);
        var records = Import(ImportFormat.LmEval, file, "math");
        Assert.Equal([0, 1], records.Select(r => r.Sample));
        Assert.All(records, r => Assert.True(r.Correct, $"{r.Extracted} vs {r.Gold}"));
        Assert.Equal(("7", 1, "Prealgebra"), (records[0].ProblemId, records[0].Level, records[0].Subject));
        Assert.Equal(ExtractionRule.Minerva, records[0].Rule);
        var m = RunDirectory.ReadManifest(Path.Combine(_dir, "math"));
        Assert.Equal(("minerva_math_prealgebra", 2, 0.6), (m.Dataset.Name, m.Generation.Samples, m.Generation.Temperature));
    }

    [Fact]
    public void An_opencompass_prediction_file_is_graded_with_chat_rounds_kept_as_the_prompt()
    {
        var file = Write("qwen2.5-1.5b-instruct-hf/gsm8k_0.json", ImportSamples.OpenCompassGsm8k);
        var records = Import(ImportFormat.OpenCompass, file, "oc");
        Assert.Equal([("0", true), ("1", true)], records.Select(r => (r.ProblemId, r.Correct)));
        Assert.Equal(ExtractionRule.TheAnswerIs, records[0].Rule);
        Assert.StartsWith("<human>\nQuestion: Janet", records[0].Prompt);
        var m = RunDirectory.ReadManifest(Path.Combine(_dir, "oc"));
        Assert.Equal(("qwen2.5-1.5b-instruct-hf", "gsm8k", "opencompass"), (m.Model.Name, m.Dataset.Name, m.Backend.Kind));
    }

    [Fact]
    public void OpenCompass_json_lines_with_sample_lists_are_read_in_index_order()
    {
        var file = Write("m/math.jsonl", ImportSamples.OpenCompassMathJsonl);
        var records = Import(ImportFormat.OpenCompass, file, "ocl");
        Assert.Equal([("0", 0, false), ("1", 0, true), ("1", 1, true)], records.Select(r => (r.ProblemId, r.Sample, r.Correct)));
    }

    [Fact]
    public void With_a_dataset_the_run_pairs_with_our_own_runs_on_it()
    {
        using var files = new EvalFiles(); // problems "Tom has i+2 apples and gets i more", gold 2i+2
        var file = Write("m/samples_gsm8k_2025-01-31T10-11-12.jsonl", string.Join("\n", Enumerable.Range(0, EvalFiles.Problems).Select(i =>
            "{\"doc_id\": " + i + ", \"doc\": {}, \"target\": \"x\", \"arguments\": {\"gen_args_0\": {\"arg_0\": \"Q" + i +
            "\", \"arg_1\": {}}}, \"resps\": [[\"#### " + (i < 4 ? 2 * i + 2 : 0) + "\"]], \"filtered_resps\": [\"x\"], \"filter\": \"strict-match\"}")));
        var records = Import(ImportFormat.LmEval, file, "imported", dataset: files.Dataset);
        Assert.Equal(4, records.Count(r => r.Correct));
        var baseline = Path.Combine(_dir, "baseline");
        using (var run = RunDirectory.OpenOrCreate(baseline, RunFixtures() with
        {
            Dataset = RunIdentity.Dataset(files.Dataset, files.Dataset, EvalFiles.Problems, baseline),
        }))
            foreach (var r in records) run.Append(r with { Correct = true });
        var row = Assert.Single(Comparison.CompareRuns(baseline, [Path.Combine(_dir, "imported")], resamples: 200));
        Assert.Equal((6, 100.0, 4 * 100.0 / 6), (row.Problems, row.BaselineScore, row.Score));
    }

    static RunManifest RunFixtures() => QuantReason.Tests.Evaluation.Runs.RunFixtures.Manifest("baseline");

    [Fact]
    public void Malformed_lines_are_skipped_with_file_and_line_or_fatal_when_strict()
    {
        var file = Write("m/samples_gsm8k_x.jsonl", ImportSamples.LmEvalGsm8k.TrimEnd() + "\n{\"doc_id\": 2, \"resps\n");
        var warnings = new List<string>();
        Assert.Equal(2, Import(ImportFormat.LmEval, file, "lenient", warnings: warnings).Count);
        Assert.Contains(warnings, w => w.StartsWith($"{file}:5: malformed JSON"));
        var e = Assert.Throws<QuantReasonException>(() =>
            PredictionImport.Import(new ImportJob { Format = ImportFormat.LmEval, File = file, Out = Path.Combine(_dir, "strict"), Strict = true }, []));
        Assert.StartsWith($"{file}:5:", e.Message);
    }

    [Fact]
    public void A_line_with_no_gold_anywhere_asks_for_the_dataset()
    {
        var file = Write("m/samples_custom_x.jsonl", """{"doc_id": 0, "doc": {"q": "?"}, "resps": [["4"]], "filter": "none"}""" + "\n");
        var e = Assert.Throws<QuantReasonException>(() => Import(ImportFormat.LmEval, file, "r"));
        Assert.Contains("give --dataset", e.Message);
        Assert.Contains($"{file}:1", e.Message);
    }

    [Fact]
    public void Task_and_dataset_names_come_from_the_file_names()
    {
        Assert.Equal("gsm8k_cot", LmEvalSamples.TaskName("/x/samples_gsm8k_cot_2024-05-01T12-00-00.123456.jsonl"));
        Assert.Equal("math", OpenCompassPredictions.DatasetName("/x/math_3.json"));
        Assert.Equal(ImportFormat.OpenCompass, ImportJob.ParseFormat("OpenCompass"));
        Assert.Throws<QuantReasonException>(() => ImportJob.ParseFormat("helm"));
    }
}
