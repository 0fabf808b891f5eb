using System.Text;

namespace QuantReason.Tokenizers;

/// <summary>One text rewrite applied before pre-tokenization (Hugging Face normalizers, SentencePiece normalizer_spec).</summary>
public abstract record NormalizerStep
{
    public abstract string Apply(string text);
}

public sealed record UnicodeNormalizationStep(NormalizationForm Form) : NormalizerStep
{
    public override string Apply(string text) => text.IsNormalized(Form) ? text : text.Normalize(Form);
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
