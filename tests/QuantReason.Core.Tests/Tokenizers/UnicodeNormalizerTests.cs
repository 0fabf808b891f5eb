using System.Text;
using FsCheck;
using FsCheck.Fluent;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tokenizers;

public class UnicodeNormalizerTests
{
    [Theory]
    [InlineData("Cafe\u0301", "Caf\u00E9")]                    // e + combining acute composes
    [InlineData("\u212B", "\u00C5")]                            // ANGSTROM SIGN is a singleton: becomes Å
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]                // Hangul L V T jamo compose algorithmically
    [InlineData("a\u0307\u0323", "\u1EA1\u0307")]               // dot below (220) sorts before dot above (230), then composes
    [InlineData("\u0344", "\u0308\u0301")]                      // excluded non-starter decomposition never recomposes
    [InlineData("\u0958", "\u0915\u093C")]                      // composition exclusion (Devanagari QA)
    [InlineData("\u0301e", "\u0301e")]                          // a leading combining mark stays
    [InlineData("e\u0301\u0301", "\u00E9\u0301")]               // the second acute is blocked by the first's class
    [InlineData("𝐀 \U0001D15E", "𝐀 \U0001D157\U0001D165")]       // astral: musical half note is a composition exclusion
    [InlineData("plain ASCII", "plain ASCII")]
    public void Nfc_examples(string input, string expected)
    {
        Assert.Equal(expected, UnicodeNormalizer.ToNfc(input));
    }

    [Fact]
    public void Nfd_decomposes_fully_and_orders_marks()
    {
        Assert.Equal("A\u030A", UnicodeNormalizer.ToNfd("\u212B"));
        Assert.Equal("\u1100\u1161\u11A8", UnicodeNormalizer.ToNfd("\uAC01"));
        Assert.Equal("a\u0323\u0307", UnicodeNormalizer.ToNfd("a\u0307\u0323"));
        Assert.Equal("\u1EA0".Length + 1, UnicodeNormalizer.ToNfd("\u1EA0").Length); // Ạ → A + dot below
    }

    static readonly Gen<string> MarkHeavyText =
        Gen.OneOf(
                Gen.Elements('a', 'e', 'o', 'A', 'E', 'O', 'ι', 'α', 'ω', ' ', '\u1100', '\u1161', '\u11A8', '\uAC00', '\u0915'),
                Gen.Elements('\u0300', '\u0301', '\u0302', '\u0307', '\u0308', '\u0323', '\u0327', '\u0342', '\u0345', '\u093C', '\u0313', '\u031B'),
                Gen.Choose(0xC0, 0x2FF).Select(c => (char)c),
                Gen.Choose(0x1E00, 0x1FFF).Select(c => (char)c),
                Gen.Elements('\u212B', '\u2126', '\u0958', '\u0344', '\u0340'))
            .ArrayOf().Select(cs => new string(cs));

    [Fact]
    public void Normal_forms_are_canonically_consistent()
    {
        Prop.ForAll(MarkHeavyText.ToArbitrary(), s =>
        {
            var nfc = UnicodeNormalizer.ToNfc(s);
            var nfd = UnicodeNormalizer.ToNfd(s);
            return UnicodeNormalizer.ToNfc(nfc) == nfc            // idempotent
                && UnicodeNormalizer.ToNfd(nfc) == nfd            // same canonical decomposition
                && UnicodeNormalizer.ToNfc(nfd) == nfc
                && nfd.EnumerateRunes().All(r => !HasCanonicalDecomposition(r.Value));
        }).QuickCheckThrowOnFailure();
    }

    static bool HasCanonicalDecomposition(int cp) => UnicodeNormalizer.ToNfd(char.ConvertFromUtf32(cp)) != char.ConvertFromUtf32(cp);

    [Fact]
    public void Agrees_with_the_runtime_where_the_runtime_normalizes()
    {
        // Runs only with ICU (InvariantGlobalization=false); the repository's default is invariant, where
        // string.Normalize is a no-op and cannot serve as a reference.
        const string probe = "e\u0301";
        if (probe.Normalize(NormalizationForm.FormC) == probe) return;
        Prop.ForAll(MarkHeavyText.ToArbitrary(), s =>
            UnicodeNormalizer.ToNfc(s) == s.Normalize(NormalizationForm.FormC) &&
            UnicodeNormalizer.ToNfd(s) == s.Normalize(NormalizationForm.FormD)).QuickCheckThrowOnFailure();
        var mismatches = new List<string>();
        for (var cp = 0; cp < 0x30000; cp++)
        {
            if (cp is >= 0xD800 and < 0xE000) continue;
            var s = char.ConvertFromUtf32(cp);
            string reference;
            try { reference = s.Normalize(NormalizationForm.FormC); }
            catch (ArgumentException) { continue; } // ICU refuses unassigned code points and noncharacters
            if (reference != UnicodeNormalizer.ToNfc(s)) mismatches.Add($"U+{cp:X4}");
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} code points differ from ICU: {string.Join(' ', mismatches.Take(50))}");
    }
}
