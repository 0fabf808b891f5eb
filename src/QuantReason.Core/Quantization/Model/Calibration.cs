using System.Text.Json;
using QuantReason.Evaluation;
using QuantReason.Runtime;
using QuantReason.Tokenizers;
using QuantReason.Data;
using QuantReason.Data.Datasets;
using QuantReason.Data.StepMath;

namespace QuantReason.Quantization.Model;

/// <summary>
/// Where calibration text comes from: <c>gsm8k</c> (GSM8K train: question + worked answer), <c>math</c> (MATH problems
/// with their solutions; problems that are also in MATH-500 are left out when that file is present, so the usual
/// evaluation set never calibrates), <c>stepmath</c> (generated train-split problems with step-tag solutions),
/// <c>stepmath-problems</c> (their problem statements alone, the misaligned domain of the QAT study), or a path
/// to a text file (paragraphs separated by blank lines) or a JSONL file (question/answer, problem/solution,
/// prompt/completion, prompt/response or text per line).
/// </summary>
public sealed record CalibrationOptions(
    string Source = "gsm8k",
    int Samples = 128,
    int Length = 512,
    ulong Seed = 0,
    bool ChatTemplate = false,
    string? DataDirectory = null)
{
    public static readonly string[] NamedSources = ["gsm8k", "math", "stepmath", "stepmath-problems"];

    public CalibrationOptions Validated()
    {
        if (Samples <= 0) throw new QuantReasonException($"calibration samples must be positive, got {Samples}", "calibration");
        if (Length <= 0) throw new QuantReasonException($"calibration length must be positive, got {Length}", "calibration");
        if (string.IsNullOrWhiteSpace(Source)) throw new QuantReasonException("no calibration source given", "calibration");
        return this;
    }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsNamed => NamedSources.Contains(Source, StringComparer.OrdinalIgnoreCase);
}

/// <summary>N token sequences of exactly L tokens each, and what they were drawn from.</summary>
public sealed record CalibrationSet(IReadOnlyList<int[]> Samples, int Length, string Description)
{
    public long Tokens => (long)Samples.Count * Length;
}

/// <summary>
/// Builds calibration sets: the source's documents are shuffled with the seed, each is tokenized (as
/// "prompt\n\nresponse" with the tokenizer's BOS, or as a user/assistant exchange in the model's chat template), the
/// token streams are concatenated in that order and cut into N consecutive windows of L tokens. GSM8K and MATH
/// documents are far shorter than the usual L = 512, so windows span several documents, as packed calibration does.
/// </summary>
public static class Calibration
{
    /// <summary>One calibration document: a prompt with its response, or plain text (Response null, Prompt the text).</summary>
    public sealed record Document(string Prompt, string? Response);

    public static CalibrationSet Build(ITokenizer tokenizer, CalibrationOptions options)
    {
        var o = options.Validated();
        var (docs, description) = Documents(o);
        long need = (long)o.Samples * o.Length;
        var stream = new List<int>((int)Math.Min(need, int.MaxValue));
        ChatTemplate? template = o.ChatTemplate ? ChatTemplate.For(tokenizer) : null;
        int used = 0;
        foreach (var d in docs)
        {
            if (stream.Count >= need) break;
            try { stream.AddRange(Encode(tokenizer, template, d, description)); }
            catch (QuantReasonException e) when (used == 0)
            {
                // the first document already fails: the source does not fit this tokenizer at all
                throw new QuantReasonException($"the calibration source does not fit the model's vocabulary ({e.Message}); choose another --calib (or --chat-template)", description, e);
            }
            used++;
        }
        if (stream.Count < need)
            throw new QuantReasonException(
                $"too few calibration tokens: {used} documents give {stream.Count} tokens, {o.Samples} samples × {o.Length} tokens need {need}; " +
                "lower --calib-samples or --calib-len, or give a larger source", description);
        var samples = new int[o.Samples][];
        for (int i = 0; i < o.Samples; i++) samples[i] = stream.GetRange(i * o.Length, o.Length).ToArray();
        return new CalibrationSet(samples, o.Length,
            $"{description}: {o.Samples} × {o.Length} tokens from {used} documents, seed {o.Seed}{(o.ChatTemplate ? ", chat template" : "")}");
    }

    static int[] Encode(ITokenizer tokenizer, ChatTemplate? template, Document d, string where)
    {
        if (template is null)
            return tokenizer.Encode(d.Response is null ? d.Prompt : d.Prompt + "\n\n" + d.Response, addSpecialTokens: true);
        if (d.Response is null)
            throw new QuantReasonException("the chat template needs prompt/response documents (JSONL with question/answer, problem/solution or prompt/completion), not plain text", where);
        // the prompt as generation sees it, then the response: templates that drop assistant turns (StepMath's) keep the solution
        var text = template.Render([ChatMessage.User(d.Prompt)], addGenerationPrompt: true) + d.Response;
        return tokenizer.Encode(text, addSpecialTokens: false);
    }

    /// <summary>The source's documents in seeded order, lazily for the generated source.</summary>
    public static (IEnumerable<Document> Docs, string Description) Documents(CalibrationOptions o)
    {
        switch (o.Source.ToLowerInvariant())
        {
            case "stepmath":
                var gen = new StepMathGenerator(unchecked((int)o.Seed));
                return (gen.Generate(StepMathSplit.Train, 1 << 30).Select(i => new Document(i.Problem.Text, i.Problem.Solution)), "stepmath (train split)");
            case "stepmath-problems":
                // The problem statements alone as plain text, no step-tag solutions: a domain other than the reasoning
                // traces a StepMath model is trained (and QAT-trained) on, in an alphabet it covers.
                var problems = new StepMathGenerator(unchecked((int)o.Seed));
                return (problems.Generate(StepMathSplit.Train, 1 << 30).Select(i => new Document(i.Problem.Text, null)), "stepmath problems only (train split, no solutions)");
            case "gsm8k":
            {
                var file = DatasetCatalog.Get("gsm8k").Files.First(f => f.RelativePath.EndsWith("train.jsonl", StringComparison.Ordinal));
                var path = Path.Combine(DataDirectory.Resolve(o.DataDirectory), file.RelativePath);
                if (!File.Exists(path))
                    throw new QuantReasonException("GSM8K train split not found; run `quantreason data fetch gsm8k`, or choose another --calib (stepmath is generated offline, or a text/JSONL file)", path);
                return (Shuffle(ReadJsonl(path), o.Seed), $"gsm8k train ({path})");
            }
            case "math":
            {
                var root = DataDirectory.Resolve(o.DataDirectory);
                var path = DatasetCatalog.Resolve("math", root);
                var math500 = Path.Combine(root, DatasetCatalog.Get("math500").Main.RelativePath);
                var exclude = File.Exists(math500)
                    ? ReadJsonl(math500).Select(d => d.Prompt).ToHashSet(StringComparer.Ordinal)
                    : [];
                return (Shuffle(ReadJsonl(path).Where(d => !exclude.Contains(d.Prompt)).ToList(), o.Seed), $"math ({path}, MATH-500 problems excluded)");
            }
            default:
            {
                var path = o.Source;
                if (!File.Exists(path))
                    throw new QuantReasonException($"calibration source not found: give one of {string.Join(", ", CalibrationOptions.NamedSources)} or a text/JSONL file", path);
                var docs = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? ReadJsonl(path) : ReadText(path);
                return (Shuffle(docs, o.Seed), path);
            }
        }
    }

    /// <summary>One document per JSONL line; every line must parse and carry a known pair of fields.</summary>
    public static List<Document> ReadJsonl(string path)
    {
        var read = JsonlReader.Read(path, strict: true);
        var docs = new List<Document>(read.Lines.Count);
        foreach (var line in read.Lines)
        {
            var v = line.Value;
            string? S(string name) => v.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            Document? d =
                S("question") is { } q && S("answer") is { } a ? new(q, a) :
                S("problem") is { } p && S("solution") is { } s ? new(p, s) :
                S("prompt") is { } pr && (S("completion") ?? S("response")) is { } c ? new(pr, c) :
                S("text") is { } t ? new(t, null) : null;
            docs.Add(d ?? throw new QuantReasonException(
                "calibration record needs string fields question/answer, problem/solution, prompt/completion, prompt/response or text",
                $"{path}:{line.Line}"));
        }
        if (docs.Count == 0) throw new QuantReasonException("calibration file has no records", path);
        return docs;
    }

    /// <summary>Plain text: one document per paragraph (blocks separated by blank lines).</summary>
    public static List<Document> ReadText(string path)
    {
        var text = File.ReadAllText(path).Replace("\r\n", "\n");
        var docs = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => new Document(p, null)).ToList();
        if (docs.Count == 0) throw new QuantReasonException("calibration file is empty", path);
        return docs;
    }

    /// <summary>Fisher–Yates with the runtime's counter-based generator, so the order is the same on every platform.</summary>
    static List<Document> Shuffle(List<Document> docs, ulong seed)
    {
        var rng = Rng.ForStream(seed, 0xCA1);
        for (int i = docs.Count - 1; i > 0; i--)
        {
            int j = (int)(rng.NextUInt64() % (ulong)(i + 1));
            (docs[i], docs[j]) = (docs[j], docs[i]);
        }
        return docs;
    }
}
