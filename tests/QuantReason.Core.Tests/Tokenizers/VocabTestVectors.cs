namespace QuantReason.Tests.Tokenizers;

/// <summary>
/// llama.cpp-format tokenizer test vectors beside a vocabulary: NAME.inp holds strings each followed by a line
/// "__ggml_vocab_test__" (the newline before the marker belongs to the marker), NAME.out one line of ids per string.
/// </summary>
public sealed record VocabTestVectors(string VocabPath, IReadOnlyList<string> Texts, IReadOnlyList<int[]> Ids)
{
    const string Separator = "\n__ggml_vocab_test__\n";

    public static VocabTestVectors Load(string vocabPath)
    {
        var inp = File.ReadAllText(vocabPath + ".inp");
        var parts = inp.Split(Separator);
        if (parts[^1].Length != 0) throw new InvalidDataException($"{vocabPath}.inp does not end with the separator line");
        var texts = parts[..^1];
        var lines = File.ReadAllLines(vocabPath + ".out");
        if (lines.Length != texts.Length)
            throw new InvalidDataException($"{vocabPath}: {texts.Length} strings but {lines.Length} id lines");
        var ids = lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).ToList();
        return new VocabTestVectors(vocabPath, texts, ids);
    }

    /// <summary>Every vocabulary in ../shared/tokenizers/vectors that has both an .inp and an .out file.</summary>
    public static TheoryData<string> Discover()
    {
        var data = new TheoryData<string>();
        foreach (var f in Shared.Files("*.gguf", "tokenizers", "vectors"))
        {
            var path = Shared.PathOf("tokenizers", "vectors", f);
            if (File.Exists(path + ".inp") && File.Exists(path + ".out")) data.Add(f);
        }
        return data;
    }
}
