using System.Text.Json;
using QuantReason.Evaluation;
using QuantReason.Tokenizers;
using QuantReason.Data;
using QuantReason.Data.Prompts;
using QuantReason.Data.StepMath;

namespace QuantReason.Training;

/// <summary>One supervised example: the problem as the prompt file renders it, and the solution the model must write.</summary>
public sealed record TrainingExample(string Problem, string Solution, int? Level, string Where);

/// <summary>
/// Supervised sequences for the trainer: the prompt exactly as evaluation renders it (the prompt file through the
/// tokenizer's chat template, BOS included), then the solution and EOS. Only the solution and EOS are targets, so the
/// model learns to answer, not to write problems; evaluation then feeds it exactly the prefix it was trained on.
/// </summary>
public sealed class TrainingCorpus
{
    public IReadOnlyList<int[]> Sequences { get; }
    /// <summary>Per sequence, 1 where the token is a target (solution and EOS), 0 on the prompt.</summary>
    public IReadOnlyList<int[]> Masks { get; }
    public long TargetTokens { get; }
    public int LongestSequence { get; }

    TrainingCorpus(List<int[]> sequences, List<int[]> masks)
    {
        Sequences = sequences;
        Masks = masks;
        TargetTokens = masks.Sum(m => (long)m.Sum());
        LongestSequence = sequences.Count == 0 ? 0 : sequences.Max(s => s.Length);
    }

    /// <summary>Mean targets per sequence (what one row of a batch trains on).</summary>
    public double MeanTargets => (double)TargetTokens / Sequences.Count;

    /// <summary>The prompt of a problem as evaluation renders it for this tokenizer: chat prompts through the tokenizer's
    /// chat template (which writes BOS where the model's template does), completion prompts as BOS + text.</summary>
    public static string RenderPrompt(PromptTemplate prompt, ITokenizer tokenizer, string problem)
    {
        if (prompt.Kind == PromptKind.Chat)
        {
            var messages = prompt.Messages(problem).Select(m => new Tokenizers.ChatMessage(m.Role, m.Content)).ToList();
            return ChatTemplate.For(tokenizer).Render(messages, addGenerationPrompt: true);
        }
        var bos = tokenizer.AddBos && tokenizer.BosId is { } b ? tokenizer.TokenToString(b) ?? "" : "";
        return bos + prompt.Completion(problem);
    }

    public static TrainingCorpus Build(IEnumerable<TrainingExample> examples, PromptTemplate prompt, ITokenizer tokenizer, int maxLength)
    {
        if (tokenizer.EosIds.Count == 0) throw new QuantReasonException("the tokenizer has no EOS token to end a training sequence", "tokenizer");
        int eos = tokenizer.EosIds[0];
        var seqs = new List<int[]>();
        var masks = new List<int[]>();
        foreach (var ex in examples)
        {
            int[] p, s;
            try
            {
                p = tokenizer.Encode(RenderPrompt(prompt, tokenizer, ex.Problem), addSpecialTokens: false);
                s = tokenizer.Encode(ex.Solution, addSpecialTokens: false);
            }
            catch (QuantReasonException e) { throw new QuantReasonException($"cannot tokenize this example: {e.Message}", ex.Where, e); }
            int n = p.Length + s.Length + 1;
            if (n > maxLength)
                throw new QuantReasonException($"prompt + solution + eos is {n} tokens, more than data.max_length {maxLength}", ex.Where);
            var seq = new int[n];
            var mask = new int[n];
            p.CopyTo(seq, 0);
            s.CopyTo(seq, p.Length);
            seq[^1] = eos;
            mask.AsSpan(p.Length).Fill(1);
            seqs.Add(seq);
            masks.Add(mask);
        }
        if (seqs.Count == 0) throw new QuantReasonException("the training data holds no examples", "data");
        return new TrainingCorpus(seqs, masks);
    }

    /// <summary>Generated StepMath problems of a split (levels 1–5 in turn).</summary>
    public static IEnumerable<TrainingExample> StepMath(StepMathSplit split, int seed, int count, double wordFraction) =>
        new StepMathGenerator(seed, new StepMathOptions { WordFraction = wordFraction }).Generate(split, count)
            .Select(i => new TrainingExample(i.Problem.Text, i.Problem.Solution, i.Level, i.UniqueId));

    /// <summary>DPO pairs: a JSONL file with "prompt" (the problem), "chosen" and "rejected" (solutions) per line.</summary>
    public static (List<TrainingExample> Chosen, List<TrainingExample> Rejected) PreferenceJsonl(string path)
    {
        var chosen = new List<TrainingExample>();
        var rejected = new List<TrainingExample>();
        foreach (var line in JsonlReader.Read(path, strict: true).Lines)
        {
            var where = $"{path}:{line.Line}";
            string Field(string name) =>
                line.Value.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } text
                    ? text : throw new QuantReasonException($"line has no '{name}' (a non-empty string)", where);
            var prompt = Field("prompt");
            chosen.Add(new TrainingExample(prompt, Field("chosen"), null, where));
            rejected.Add(new TrainingExample(prompt, Field("rejected"), null, where));
        }
        return (chosen, rejected);
    }

    /// <summary>A JSONL file with "problem" and "solution" per line; a line without either is an error naming file:line.</summary>
    public static IEnumerable<TrainingExample> Jsonl(string path)
    {
        var read = JsonlReader.Read(path, strict: true);
        foreach (var line in read.Lines)
        {
            var where = $"{path}:{line.Line}";
            string Field(string name) =>
                line.Value.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } text
                    ? text : throw new QuantReasonException($"line has no '{name}' (a non-empty string)", where);
            int? level = line.Value.TryGetProperty("level", out var l) && l.ValueKind == JsonValueKind.Number && l.TryGetInt32(out var lv) ? lv : null;
            yield return new TrainingExample(Field("problem"), Field("solution"), level, where);
        }
    }
}
