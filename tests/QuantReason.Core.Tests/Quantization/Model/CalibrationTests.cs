using QuantReason.Quantization.Model;
using QuantReason.Tests.Cli;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Quantization.Model;

public sealed class CalibrationTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-calib-").FullName;
    readonly ITokenizer _tok;

    public CalibrationTests()
    {
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), CliFixture.TokenizerJson());
        _tok = TokenizerLoader.FromDirectory(_dir);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    string Write(string name, string text)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    static CalibrationOptions Gsm8k(int n, int len, ulong seed) => new("gsm8k", n, len, seed, DataDirectory: Shared.PathOf("data"));

    [SharedFact]
    public void SamplesHaveExactlyTheRequestedShapeAndDependOnlyOnTheSeed()
    {
        var a = Calibration.Build(_tok, Gsm8k(8, 64, 1));
        var b = Calibration.Build(_tok, Gsm8k(8, 64, 1));
        var c = Calibration.Build(_tok, Gsm8k(8, 64, 2));
        Assert.Equal(8, a.Samples.Count);
        Assert.All(a.Samples, s => Assert.Equal(64, s.Length));
        Assert.Equal(512, a.Tokens);
        Assert.Equal(a.Samples.SelectMany(s => s), b.Samples.SelectMany(s => s));
        Assert.NotEqual(a.Samples.SelectMany(s => s), c.Samples.SelectMany(s => s));
        // Documents are GSM8K train question + worked answer: the "#### N" answer lines show up in the text.
        var text = string.Concat(a.Samples.Select(s => _tok.Decode(s, skipSpecialTokens: true)));
        Assert.Contains("####", text);
        Assert.Contains("gsm8k train", a.Description);
    }

    [SharedFact]
    public void MathLeavesOutMath500Problems()
    {
        var docs = Calibration.Documents(new CalibrationOptions("math", DataDirectory: Shared.PathOf("data"))).Docs.ToList();
        var math500 = Calibration.ReadJsonl(Shared.PathOf("data", "math500", "test.jsonl")).Select(d => d.Prompt).ToHashSet();
        Assert.Equal(5000 - 500, docs.Count);
        Assert.DoesNotContain(docs, d => math500.Contains(d.Prompt));
        Assert.All(docs.Take(20), d => Assert.Contains("\\boxed", d.Response));
    }

    [Fact]
    public void StepMathIsGeneratedWithStepTagSolutions()
    {
        var set = Calibration.Build(_tok, new CalibrationOptions("stepmath", 4, 128, Seed: 3));
        Assert.Equal(4, set.Samples.Count);
        var docs = Calibration.Documents(new CalibrationOptions("stepmath", Seed: 3)).Docs.Take(5).ToList();
        Assert.All(docs, d => Assert.False(string.IsNullOrEmpty(d.Response)));
    }

    [Fact]
    public void TextFilesSplitIntoParagraphsAndJsonlAcceptsTheKnownFieldPairs()
    {
        var text = Write("c.txt", "first paragraph here\n\nsecond one\r\n\r\nthird");
        Assert.Equal(["first paragraph here", "second one", "third"], Calibration.ReadText(text).Select(d => d.Prompt));
        var jsonl = Write("c.jsonl", """
            {"question": "q1", "answer": "a1"}
            {"problem": "p2", "solution": "s2"}
            {"prompt": "p3", "completion": "c3"}
            {"text": "plain"}
            """);
        var docs = Calibration.ReadJsonl(jsonl);
        Assert.Equal(new Calibration.Document[] { new("q1", "a1"), new("p2", "s2"), new("p3", "c3"), new("plain", null) }, docs);
    }

    [Fact]
    public void BadFilesNameFileAndLine()
    {
        var noFields = Write("bad.jsonl", "{\"text\": \"ok\"}\n{\"question\": 3}\n");
        var e = Assert.Throws<QuantReasonException>(() => Calibration.ReadJsonl(noFields));
        Assert.StartsWith($"{noFields}:2: calibration record needs", e.Message);
        var malformed = Write("malformed.jsonl", "{\"text\": \"ok\"}\n{oops\n");
        Assert.StartsWith($"{malformed}:2: malformed JSON", Assert.Throws<QuantReasonException>(() => Calibration.ReadJsonl(malformed)).Message);
    }

    [Fact]
    public void TooFewTokensSaysHowManyThereAreAndHowManyAreNeeded()
    {
        var small = Write("small.txt", "just a few words\n\nand a few more");
        var e = Assert.Throws<QuantReasonException>(() => Calibration.Build(_tok, new CalibrationOptions(small, 4, 512)));
        Assert.Contains("too few calibration tokens: 2 documents give", e.Message);
        Assert.Contains("4 samples × 512 tokens need 2048", e.Message);
        Assert.StartsWith(small, e.Message);
    }

    [Fact]
    public void ChatTemplateNeedsPromptResponseDocuments()
    {
        var text = Write("t.txt", string.Join("\n\n", Enumerable.Repeat("some text to calibrate on", 50)));
        var e = Assert.Throws<QuantReasonException>(() => Calibration.Build(_tok, new CalibrationOptions(text, 2, 16, ChatTemplate: true)));
        Assert.Contains("chat template needs prompt/response documents", e.Message);
        var jsonl = Write("t.jsonl", string.Join("\n", Enumerable.Repeat("{\"question\": \"what is 2 + 2\", \"answer\": \"it is 4\"}", 50)));
        var plain = Calibration.Build(_tok, new CalibrationOptions(jsonl, 2, 16));
        var chat = Calibration.Build(_tok, new CalibrationOptions(jsonl, 2, 16, ChatTemplate: true));
        Assert.Equal(2, chat.Samples.Count);
        Assert.Contains("chat template", chat.Description);
        Assert.DoesNotContain("chat template", plain.Description);
    }
}
