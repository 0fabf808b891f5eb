using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuantReason.Tests;

/// <summary>
/// Seeded mutations of real input files (byte flips, truncations, splices, numeric edits, JSON type swaps, invalid
/// UTF-8, oversized strings) and a harness that holds a loader to its contract on each: succeed, or throw a
/// <see cref="QuantReasonException"/> with a short message, within a time and an allocation bound.
/// </summary>
public static partial class Fuzz
{
    /// <summary>One mutated file; <see cref="Target"/>, when set, is where <see cref="Run"/> writes it before loading.</summary>
    public sealed record Case(string What, byte[] Bytes)
    {
        public string? Target { get; init; }

        public Case For(string target, string? label = null) =>
            this with { Target = target, What = $"{label ?? Path.GetFileName(Path.GetDirectoryName(target))}/{Path.GetFileName(target)} {What}" };
    }

    /// <summary>Numbers that break parsers: int32/int64/uint64 edges, overflowing doubles, fractions, negatives.</summary>
    static readonly string[] EdgeNumbers =
    [
        "0", "-1", "1", "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", "1e309", "-1e309", "1.5", "1e-400", "65536", "100000000000000000000000000",
    ];

    /// <summary>Values a JSON node can be swapped for: every other type, and a 4 KB string an error must not echo.</summary>
    static readonly Func<JsonNode?>[] Replacements =
    [
        () => JsonValue.Create("x"), () => JsonValue.Create(42), () => JsonValue.Create(2147483648L), () => JsonValue.Create(-1),
        () => JsonValue.Create(true), () => null, () => new JsonArray(), () => new JsonObject(), () => new JsonArray(1, 2),
        () => new JsonObject { ["a"] = 1 }, () => JsonValue.Create(new string('Q', 4096)), () => JsonValue.Create(0.5),
    ];

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE][+-]?\d+)?")]
    private static partial Regex NumberToken();

    /// <summary><paramref name="count"/> mutations of a JSON file, the same for the same seed.</summary>
    public static IEnumerable<Case> JsonMutations(byte[] json, int seed, int count) =>
        Mutations(json, seed, count, [BitFlips, Truncate, Splice, NumberEdit, NumberEdit, TypeSwap, TypeSwap, InvalidUtf8]);

    /// <summary>Mutations of a binary file: bit flips, truncation, splices and interesting bytes in its first bytes.</summary>
    public static IEnumerable<Case> BinaryMutations(byte[] data, int seed, int count) =>
        Mutations(data, seed, count, [BitFlips, Truncate, Splice, Overwrite]);

    static IEnumerable<Case> Mutations(byte[] src, int seed, int count, Func<byte[], Random, (string, byte[])>[] operators)
    {
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var (what, bytes) = operators[rng.Next(operators.Length)](src, rng);
            yield return new Case($"#{i} {what}", bytes);
        }
    }

    static (string, byte[]) Truncate(byte[] src, Random rng) => ("truncate", src[..rng.Next(src.Length)]);

    static (string, byte[]) BitFlips(byte[] src, Random rng)
    {
        var b = (byte[])src.Clone();
        int n = 1 + rng.Next(4);
        for (int k = 0; k < n; k++) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
        return ($"{n} bit flips", b);
    }

    static (string, byte[]) Overwrite(byte[] src, Random rng)
    {
        // Headers, counts and lengths live near the start: write 0x00/0xFF/0x7F runs there.
        var b = (byte[])src.Clone();
        int at = rng.Next(Math.Min(b.Length, 64)), len = 1 + rng.Next(8);
        byte v = new byte[] { 0x00, 0xFF, 0x7F, 0x80 }[rng.Next(4)];
        for (int k = at; k < Math.Min(b.Length, at + len); k++) b[k] = v;
        return ($"0x{v:X2}×{len} at {at}", b);
    }

    static (string, byte[]) Splice(byte[] src, Random rng)
    {
        int a = rng.Next(src.Length), len = rng.Next(1, Math.Min(256, src.Length - a) + 1), at = rng.Next(src.Length);
        if (rng.Next(2) == 0) return ($"delete [{a}, {a + len})", [.. src[..a], .. src[(a + len)..]]);
        return ($"copy [{a}, {a + len}) to {at}", [.. src[..at], .. src[a..(a + len)], .. src[at..]]);
    }

    static (string, byte[]) NumberEdit(byte[] src, Random rng)
    {
        var text = Encoding.UTF8.GetString(src);
        var numbers = NumberToken().Matches(text);
        if (numbers.Count == 0) return BitFlips(src, rng);
        var m = numbers[rng.Next(numbers.Count)];
        var to = EdgeNumbers[rng.Next(EdgeNumbers.Length)];
        return ($"number {m.Value} → {to} at {m.Index}", Encoding.UTF8.GetBytes(text[..m.Index] + to + text[(m.Index + m.Length)..]));
    }

    static (string, byte[]) TypeSwap(byte[] src, Random rng)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(src); }
        catch (System.Text.Json.JsonException) { return BitFlips(src, rng); }
        var nodes = new List<JsonNode>();
        void Walk(JsonNode? n)
        {
            if (n is null) return;
            nodes.Add(n);
            if (n is JsonObject o) foreach (var p in o) Walk(p.Value);
            else if (n is JsonArray a) foreach (var x in a) Walk(x);
        }
        Walk(root);
        var target = nodes[rng.Next(nodes.Count)];
        var replacement = Replacements[rng.Next(Replacements.Length)]();
        var path = target.GetPath();
        if (target.Parent is JsonObject parent) parent[target.GetPropertyName()] = replacement;
        else if (target.Parent is JsonArray array) array[target.GetElementIndex()] = replacement;
        else root = replacement;
        var kind = replacement?.GetValueKind().ToString() ?? "null";
        return ($"{path} → {kind}", Encoding.UTF8.GetBytes(root?.ToJsonString() ?? "null"));
    }

    static (string, byte[]) InvalidUtf8(byte[] src, Random rng)
    {
        // Inside a string literal: right after a random quote, a byte sequence no UTF-8 decoder accepts.
        var quotes = Enumerable.Range(0, src.Length).Where(i => src[i] == (byte)'"').ToList();
        if (quotes.Count == 0) return BitFlips(src, rng);
        int at = quotes[rng.Next(quotes.Count)] + 1;
        byte[] bad = new[] { new byte[] { 0xFF }, [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF] }[rng.Next(4)];
        return ($"invalid UTF-8 {Convert.ToHexString(bad)} at {at}", [.. src[..at], .. bad, .. src[at..]]);
    }

    /// <summary>The real checkpoints to mutate: every shared fixture and the committed reference model, where present.</summary>
    public static IReadOnlyList<string> ModelDirs()
    {
        var dirs = Shared.Root is null ? [] : Directory.GetDirectories(Shared.PathOf("fixtures", "models")).Order(StringComparer.Ordinal).ToList();
        var reference = RepoFiles.PathOf("data", "models", "stepmath-ref");
        if (File.Exists(Path.Combine(reference, "model.safetensors"))) dirs.Add(reference);
        return dirs;
    }

    /// <summary>Loads a model folder as every command does (config, weights, quantization), for the loader under test.</summary>
    public static void LoadModel(string dir) => global::QuantReason.Runtime.Model.Load(dir);

    /// <summary>The time bound for loading mutations of <see cref="ModelDirs"/>.</summary>
    public static TimeSpan ModelTimeBound() => TimeBound([.. ModelDirs().Select(d => (Action)(() => LoadModel(d)))]);

    /// <summary>A scratch copy of a model folder's given files, for writing one mutated file into at a time.</summary>
    public static string CopyOf(string modelDir, string scratch, params string[] files)
    {
        var dir = Directory.CreateDirectory(Path.Combine(scratch, Path.GetFileName(modelDir))).FullName;
        foreach (var f in files)
            if (File.Exists(Path.Combine(modelDir, f))) File.Copy(Path.Combine(modelDir, f), Path.Combine(dir, f), overwrite: true);
        return dir;
    }

    /// <summary>What the cases came to: the failures that break the contract, and how many loaded and how many were refused.</summary>
    public sealed record Report(List<string> Failures, int Succeeded, int Refused)
    {
        public void AssertClean(Xunit.Abstractions.ITestOutputHelper? output, string what)
        {
            output?.WriteLine($"{what}: {Succeeded} loaded, {Refused} refused cleanly, {Failures.Count} broke the contract");
            Assert.True(Failures.Count == 0, $"{Failures.Count} of {Succeeded + Refused + Failures.Count} {what} cases broke the contract:\n" +
                                             string.Join("\n", Failures.Take(25)));
            Assert.True(Refused > 0, $"no {what} mutation was refused: the mutations do not reach the parser");
        }
    }

    /// <summary>
    /// The time bound for one mutated case: 2 s, or 4× the slowest load of the unmutated files where that is longer
    /// (this machine may be loaded); a parser that loops or backtracks on a mutation takes far longer than either.
    /// </summary>
    public static TimeSpan TimeBound(params Action[] unmutatedLoads)
    {
        var slowest = TimeSpan.Zero;
        foreach (var load in unmutatedLoads)
        {
            var clock = Stopwatch.StartNew();
            load();
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
        }
        return TimeSpan.FromSeconds(Math.Max(2, 4 * slowest.TotalSeconds));
    }

    /// <summary>Longest acceptable error line: enough for a path, a tensor name and the reason; never a quoted header.</summary>
    public const int MaxMessage = 1000;

    /// <summary>
    /// Runs <paramref name="load"/> on each case. A case passes when it returns, or throws a QuantReasonException whose
    /// message is at most <see cref="MaxMessage"/> characters, within <paramref name="timeBound"/> and allocating at most
    /// <paramref name="allocationBound"/> bytes on this thread (absurd declared sizes must be refused before allocating).
    /// </summary>
    public static Report Run(IEnumerable<Case> cases, Action<Case> load, TimeSpan timeBound, long allocationBound)
    {
        var failures = new List<string>();
        int ok = 0, refused = 0;
        foreach (var c in cases)
        {
            if (c.Target is not null) File.WriteAllBytes(c.Target, c.Bytes);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            string? broke = null;
            try { load(c); ok++; }
            catch (QuantReasonException e)
            {
                refused++;
                if (e.Message.Length > MaxMessage) broke = $"message of {e.Message.Length} characters: {e.Message[..200]}…";
            }
            catch (Exception e)
            {
                var message = e.Message.Length > 300 ? e.Message[..300] + "…" : e.Message;
                broke = $"{e.GetType().Name}: {message}\n      at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}";
            }
            clock.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (clock.Elapsed > timeBound) broke ??= $"took {clock.Elapsed.TotalSeconds:F1} s (bound {timeBound.TotalSeconds} s)";
            if (allocated > allocationBound) broke ??= $"allocated {allocated / 1e6:F0} MB (bound {allocationBound / 1e6:F0} MB)";
            if (broke is not null) failures.Add($"  {c.What}: {broke}");
        }
        return new Report(failures, ok, refused);
    }
}
