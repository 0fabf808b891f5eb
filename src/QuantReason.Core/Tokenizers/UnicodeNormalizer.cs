using System.Text;

namespace QuantReason.Tokenizers;

/// <summary>
/// Managed canonical normalization (NFC, NFD) from <see cref="UnicodeNormalizationData"/>, so tokenizers whose
/// tokenizer.json asks for NFC (Qwen2/2.5/3, GPT-NeoX) work the same in globalization-invariant processes and on
/// every machine. UAX #15: full canonical decomposition (Hangul algorithmically), canonical ordering of combining
/// marks, then canonical composition of primary composites with the blocking rule.
/// </summary>
public static class UnicodeNormalizer
{
    const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    static readonly Dictionary<int, (int First, int Second)> Decomposition = new();
    static readonly Dictionary<long, int> Composition = new();
    static readonly (int First, int Last, byte Class)[] ClassRanges;

    public static string UnicodeVersion => UnicodeNormalizationData.UnicodeVersion;

    static UnicodeNormalizer()
    {
        var d = UnicodeNormalizationData.Decompositions;
        for (var i = 0; i < d.Length; i += 4)
        {
            Decomposition[d[i]] = (d[i + 1], d[i + 2]);
            if (d[i + 3] == 1) Composition[Key(d[i + 1], d[i + 2])] = d[i];
        }
        var c = UnicodeNormalizationData.CombiningClassRanges;
        ClassRanges = new (int, int, byte)[c.Length / 3];
        for (var i = 0; i < ClassRanges.Length; i++) ClassRanges[i] = (c[3 * i], c[3 * i + 1], (byte)c[3 * i + 2]);
    }

    static long Key(int a, int b) => ((long)a << 21) | (uint)b;

    public static int CombiningClass(int cp)
    {
        if (cp < 0x300) return 0;
        int lo = 0, hi = ClassRanges.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            var r = ClassRanges[mid];
            if (cp < r.First) hi = mid - 1;
            else if (cp > r.Last) lo = mid + 1;
            else return r.Class;
        }
        return 0;
    }

    /// <summary>Below U+0300 every character is its own NFC and NFD form except the precomposed Latin-1 letters for NFD.</summary>
    static bool IsTrivialForNfc(string text)
    {
        foreach (var ch in text) if (ch >= '\u0300') return false;
        return true;
    }

    public static string ToNfc(string text)
    {
        if (IsTrivialForNfc(text)) return text;
        var cps = Decompose(text);
        Compose(cps);
        return Build(cps);
    }

    public static string ToNfd(string text)
    {
        foreach (var ch in text) if (ch >= '\u00C0') return Build(Decompose(text));
        return text;
    }

    static List<int> Decompose(string text)
    {
        var cps = new List<int>(text.Length + 8);
        foreach (var rune in text.EnumerateRunes()) DecomposeInto(rune.Value, cps);
        // Canonical ordering: stable sort of each run of non-starters by combining class (runs are short).
        for (var i = 1; i < cps.Count; i++)
        {
            var cc = CombiningClass(cps[i]);
            if (cc == 0) continue;
            var j = i;
            while (j > 0 && CombiningClass(cps[j - 1]) > cc) { (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]); j--; }
        }
        return cps;
    }

    static void DecomposeInto(int cp, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            var s = cp - SBase;
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        if (cp >= 0xC0 && Decomposition.TryGetValue(cp, out var d))
        {
            DecomposeInto(d.First, output);
            if (d.Second >= 0) DecomposeInto(d.Second, output);
            return;
        }
        output.Add(cp);
    }

    static int ComposePair(int a, int b)
    {
        if (a is >= LBase and < LBase + LCount && b is >= VBase and < VBase + VCount)
            return SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
        if (a is >= SBase and < SBase + SCount && (a - SBase) % TCount == 0 && b is > TBase and < TBase + TCount)
            return a + (b - TBase);
        return Composition.TryGetValue(Key(a, b), out var c) ? c : -1;
    }

    static void Compose(List<int> cps)
    {
        if (cps.Count == 0) return;
        var starterPos = 0;
        var lastClass = CombiningClass(cps[0]);
        if (lastClass != 0) lastClass = 256; // a leading non-starter blocks composition with anything after it
        var write = 1;
        for (var read = 1; read < cps.Count; read++)
        {
            var ch = cps[read];
            var chClass = CombiningClass(ch);
            var composite = ComposePair(cps[starterPos], ch);
            if (composite >= 0 && (lastClass < chClass || lastClass == 0))
            {
                cps[starterPos] = composite;
                continue;
            }
            if (chClass == 0) starterPos = write;
            lastClass = chClass;
            cps[write++] = ch;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    static string Build(List<int> cps)
    {
        var sb = new StringBuilder(cps.Count);
        foreach (var cp in cps) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }
}
