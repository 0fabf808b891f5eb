using QuantReason.Models;

namespace QuantReason.Evaluation.Runs;

/// <summary>
/// The one convention of manifest values (data/schemas/run-directory.md), checked by <see cref="RunDirectory"/> before
/// any manifest is written: digests are plain lowercase SHA-256 hex, the architecture is a config.json model_type of
/// the architecture table (<c>llama</c>, not <c>LlamaForCausalLM</c>), the backend one of the schema's kinds. Two writers
/// that spelled these differently made runs of one model look like two models to the analysis.
/// </summary>
public static class RunConventions
{
    public static readonly IReadOnlyList<string> BackendKinds = ["in-process", "endpoint", "lm-eval", "opencompass"];

    public static void Check(RunManifest m, string where)
    {
        Digest(m.Model.Digest, "model.digest", where);
        Digest(m.Dataset.Digest, "dataset.digest", where);
        Digest(m.Prompt.Digest, "prompt.digest", where);
        if (m.Model.Architecture is { } a && !ArchitectureTraits.Table.Any(t => t.ModelType == a))
            throw new QuantReasonException(
                $"manifest model.architecture '{a}' is not one of {string.Join(", ", ArchitectureTraits.Table.Select(t => t.ModelType))}", where);
        if (!BackendKinds.Contains(m.Backend.Kind))
            throw new QuantReasonException($"manifest backend.kind '{m.Backend.Kind}' is not one of {string.Join(", ", BackendKinds)}", where);
    }

    static void Digest(string? digest, string field, string where)
    {
        if (digest is null) return;
        if (digest.Length != 64 || !digest.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
            throw new QuantReasonException($"manifest {field} '{digest}' is not a plain lowercase SHA-256 hex digest", where);
    }
}
