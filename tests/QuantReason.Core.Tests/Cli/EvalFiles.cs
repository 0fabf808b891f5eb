using System.Text.Json;
using System.Text.Json.Nodes;
using QuantReason.Evaluation.Runs;

namespace QuantReason.Tests.Cli;

/// <summary>
/// A tiny GSM8K-format dataset and completion / chat prompt files in a temp folder, sized for the fixture model's
/// 512-token context, for end-to-end eval tests.
/// </summary>
public sealed class EvalFiles : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("qr-eval-").FullName;
    public string Dataset => Path.Combine(Dir, "tiny-gsm8k.jsonl");
    public string CompletionPrompt => Path.Combine(Dir, "qa.yaml");
    public string ChatPrompt => Path.Combine(Dir, "chat.yaml");
    public const int Problems = 6;

    public EvalFiles()
    {
        File.WriteAllLines(Dataset, Enumerable.Range(0, Problems).Select(i => JsonSerializer.Serialize(new
        {
            question = $"Tom has {i + 2} apples and gets {i} more. How many apples?",
            answer = $"He has {i + 2} + {i} = {2 * i + 2} apples.\n#### {2 * i + 2}",
        })));
        File.WriteAllText(CompletionPrompt, "name: qa\nkind: completion\ninstruction: \"Q: {problem}\\nA:\"\nstop: [\"\\n\\n\"]\n");
        File.WriteAllText(ChatPrompt, "name: chat\nkind: chat\nsystem: Answer briefly.\ninstruction: \"{problem}\"\n");
    }

    public string Path2(string name) => Path.Combine(Dir, name);

    /// <summary>predictions.jsonl with the fields that legitimately differ between two runs removed.</summary>
    public static List<string> Lines(string run, params string[] drop) =>
        File.ReadAllLines(Path.Combine(run, RunDirectory.PredictionsFile)).Select(l =>
        {
            var node = JsonNode.Parse(l)!.AsObject();
            node.Remove("latency_ms");
            foreach (var d in drop) node.Remove(d);
            return node.ToJsonString();
        }).ToList();

    public void Dispose() => Directory.Delete(Dir, true);
}
