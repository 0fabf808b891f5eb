using System.Text;

namespace QuantReason.Tokenizers;

/// <summary>One text rewrite applied before pre-tokenization (Hugging Face normalizers, SentencePiece normalizer_spec).</summary>
public abstract record NormalizerStep
{
    public abstract string Apply(string text);
}

/// <summary>
/// NFC/NFD/NFKC/NFKD. NFC and NFD use the managed <see cref="UnicodeNormalizer"/>, identical on every machine.
/// The compatibility forms go through the runtime (ICU); with InvariantGlobalization (this repository's default)
/// .NET silently returns text unchanged, which would tokenize wrongly, so construction fails instead.
/// </summary>
public sealed record UnicodeNormalizationStep : NormalizerStep
{
    public NormalizationForm Form { get; }

    public UnicodeNormalizationStep(NormalizationForm form)
    {
        if (!IsAvailable(form))
            throw new QuantReasonException(
                $"the tokenizer needs Unicode normalization {form}, which this process cannot perform " +
                "(globalization-invariant mode: set InvariantGlobalization=false with ICU installed)", "normalizer");
        Form = form;
    }

    /// <summary>Whether the form can be applied: always for NFC/NFD; for NFKC/NFKD only if the runtime really normalizes.</summary>
    public static bool IsAvailable(NormalizationForm form)
    {
        if (form is NormalizationForm.FormC or NormalizationForm.FormD) return true;
        const string probe = "\u212B"; // ANGSTROM SIGN: canonically equivalent to U+00C5, so no form keeps it
        try { return probe.Normalize(form) != probe; }
        catch (PlatformNotSupportedException) { return false; }
    }

    public override string Apply(string text) => Form switch
    {
        NormalizationForm.FormC => UnicodeNormalizer.ToNfc(text),
        NormalizationForm.FormD => UnicodeNormalizer.ToNfd(text),
        _ => text.IsNormalized(Form) ? text : text.Normalize(Form),
    };
}

public sealed record LowercaseStep : NormalizerStep
{
    public override string Apply(string text) => text.ToLowerInvariant();
}

/// <summary>Prepends <see cref="Prefix"/> to non-empty text (HF <c>Prepend</c>; SentencePiece's add_dummy_prefix).</summary>
public sealed record PrependStep(string Prefix) : NormalizerStep
{
    public override string Apply(string text) => text.Length == 0 ? text : Prefix + text;
}

public sealed record ReplaceStep(string Pattern, string Content) : NormalizerStep
{
    public override string Apply(string text) => text.Replace(Pattern, Content, StringComparison.Ordinal);
}

public sealed record StripStep(bool Left, bool Right) : NormalizerStep
{
    public override string Apply(string text) => (Left, Right) switch
    {
        (true, true) => text.Trim(),
        (true, false) => text.TrimStart(),
        (false, true) => text.TrimEnd(),
        _ => text,
    };
}

/// <summary>SentencePiece remove_extra_whitespaces: trims, and collapses runs of spaces to one.</summary>
public sealed record CollapseSpacesStep : NormalizerStep
{
    public override string Apply(string text)
    {
        var sb = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (c == ' ') { pendingSpace = sb.Length > 0; continue; }
            if (pendingSpace) { sb.Append(' '); pendingSpace = false; }
            sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>An ordered list of <see cref="NormalizerStep"/>s; applied to each text segment between added tokens.</summary>
public sealed class Normalizer
{
    public static readonly Normalizer None = new([]);

    public IReadOnlyList<NormalizerStep> Steps { get; }

    public Normalizer(IReadOnlyList<NormalizerStep> steps) => Steps = steps;

    public string Apply(string text)
    {
        foreach (var s in Steps) text = s.Apply(text);
        return text;
    }
}
