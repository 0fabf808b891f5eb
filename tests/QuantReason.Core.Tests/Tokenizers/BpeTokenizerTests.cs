using System.Diagnostics;
using System.Text;
using System.Text.Json;
using QuantReason.Tokenizers;
using Xunit.Abstractions;

namespace QuantReason.Tests.Tokenizers;

/// <summary>Timing tests run alone so that other test classes do not compete for the CPU they measure.</summary>
[CollectionDefinition(nameof(TimingCollection), DisableParallelization = true)]
public sealed class TimingCollection;

[Collection(nameof(TimingCollection))]
public class BpeTokenizerTests(ITestOutputHelper output)
{
    /// <summary>About 1 MB of real text: GSM8K training questions and worked answers from ../shared.</summary>
    static string OneMegabyteOfText()
    {
        var file = Shared.Files("*.jsonl", "data", "gsm8k").Cast<object[]>().Select(r => (string)r[0]).First(f => f.Contains("train"));
        var sb = new StringBuilder();
        foreach (var line in File.ReadLines(Shared.PathOf("data", "gsm8k", file)))
        {
            using var doc = JsonDocument.Parse(line);
            sb.Append(doc.RootElement.GetProperty("question").GetString()).Append("\n\n")
              .Append(doc.RootElement.GetProperty("answer").GetString()).Append("\n\n");
            if (sb.Length >= 1 << 20) break;
        }
        return sb.ToString();
    }

    /// <summary>
    /// CPU time of the calling thread (Linux: /proc/thread-self/schedstat, ns), so a timing is not inflated by other
    /// processes on a shared build machine; wall-clock time elsewhere.
    /// </summary>
    static TimeSpan ThreadCpuTime(Stopwatch fallback)
    {
        const string schedstat = "/proc/thread-self/schedstat";
        if (File.Exists(schedstat) && long.TryParse(File.ReadAllText(schedstat).Split(' ')[0], out var ns))
            return TimeSpan.FromTicks(ns / 100);
        return fallback.Elapsed;
    }

    static (TimeSpan Cpu, TimeSpan Wall, T Result) Measure<T>(Func<T> work)
    {
        var sw = Stopwatch.StartNew();
        var cpu0 = ThreadCpuTime(sw);
        var result = work();
        var cpu = ThreadCpuTime(sw) - cpu0;
        return (cpu, sw.Elapsed, result);
    }

    static string VectorsFile(string name) =>
        VocabTestVectors.Discover().Cast<object[]>().Select(r => (string)r[0]).Single(f => f.Contains(name, StringComparison.Ordinal));

    [SharedTheory]
    [InlineData("gpt-2")]
    [InlineData("llama-spm")]
    [InlineData("deepseek-llm")]
    public void Encoding_a_megabyte_takes_well_under_a_second(string vocab)
    {
        var text = OneMegabyteOfText();
        var tok = TokenizerLoader.FromGguf(Shared.PathOf("tokenizers", "vectors", VectorsFile(vocab)));
        tok.Encode("warm up the JIT: 123 apples, y'all!", addSpecialTokens: false);
        var (cpu, wall, ids) = Measure(() => tok.Encode(text, addSpecialTokens: false));
        output.WriteLine($"{vocab}: {Encoding.UTF8.GetByteCount(text)} bytes → {ids.Length} tokens, cold cache: " +
                         $"{cpu.TotalMilliseconds:F0} ms CPU, {wall.TotalMilliseconds:F0} ms wall");
        Assert.Equal(text, tok.Decode(ids, skipSpecialTokens: false));
        Assert.True(cpu < TimeSpan.FromSeconds(1), $"took {cpu.TotalMilliseconds:F0} ms of CPU");
    }

    [SharedFact]
    public void A_long_word_without_pre_tokenization_merges_in_n_log_n()
    {
        // 200k characters with no spaces is one SentencePiece chunk: the priority-queue merge handles it in one pass.
        var tok = TokenizerLoader.FromSentencePieceModel(Shared.PathOf("tokenizers", "llama2", "tokenizer.model"));
        var text = string.Concat(Enumerable.Repeat("abcdefghij0123456789", 10_000));
        tok.Encode("warm up", addSpecialTokens: false);
        var (cpu, wall, ids) = Measure(() => tok.Encode(text, addSpecialTokens: false));
        output.WriteLine($"200k-char word → {ids.Length} tokens: {cpu.TotalMilliseconds:F0} ms CPU, {wall.TotalMilliseconds:F0} ms wall");
        Assert.Equal(text, tok.Decode(ids, skipSpecialTokens: false));
        Assert.True(cpu < TimeSpan.FromSeconds(1), $"took {cpu.TotalMilliseconds:F0} ms of CPU");
    }

    [SharedFact]
    public void Sentencepiece_chunking_at_word_starts_gives_the_same_ids_as_one_merge_over_the_whole_text()
    {
        var chunked = TokenizerLoader.FromSentencePieceModel(Shared.PathOf("tokenizers", "llama2", "tokenizer.model"));
        // The same vocabulary with a pre-tokenizer step that splits nothing disables chunking.
        var whole = new BpeTokenizer(chunked.Config with
        {
            PreTokenizer = new PreTokenizer([new RegexSplitStep(new PreTokenizerRegex(@"(?!)"))]),
        });
        var vectors = VocabTestVectors.Load(Shared.PathOf("tokenizers", "vectors", VectorsFile("llama-spm")));
        foreach (var text in vectors.Texts.Append(OneMegabyteOfText()[..20_000]))
            Assert.Equal(whole.Encode(text, false), chunked.Encode(text, false));
    }

    [Fact]
    public void Ids_outside_the_vocabulary_are_a_clear_error()
    {
        var tok = SmallByteLevelTokenizer.Create();
        var e = Assert.Throws<QuantReasonException>(() => tok.Decode([5, 99999], skipSpecialTokens: false));
        Assert.Contains("99999", e.Message);
        Assert.Null(tok.TokenToString(-1));
        Assert.Equal(TokenType.Undefined, tok.GetTokenType(99999));
    }

    [Fact]
    public void Concurrent_encoding_is_consistent()
    {
        var tok = SmallByteLevelTokenizer.Create();
        var texts = Enumerable.Range(0, 200).Select(i => $"the {i} in a 12 then {i * 7}").ToArray();
        var expected = texts.Select(t => tok.Encode(t, false)).ToArray();
        var results = new int[texts.Length][];
        Parallel.For(0, texts.Length * 5, i => results[i % texts.Length] = tok.Encode(texts[i % texts.Length], false));
        for (var i = 0; i < texts.Length; i++) Assert.Equal(expected[i], results[i]);
    }
}
