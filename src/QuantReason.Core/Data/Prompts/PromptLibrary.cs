using QuantReason.Evaluation;
namespace QuantReason.Data.Prompts;

/// <summary>
/// Finds prompts by name: a path to a .yaml file, or NAME.yaml in the given folder, $QUANTREASON_PROMPTS, or the
/// repository's data/prompts found by walking up from the program's folder; a name none of those holds falls back to
/// the shipped prompts built into the assembly, so a published binary with no repository beside it still has them.
/// </summary>
public static class PromptLibrary
{
    public const string EnvironmentVariable = "QUANTREASON_PROMPTS";
    const string ResourcePrefix = "QuantReason.prompts.";

    /// <summary>
    /// $QUANTREASON_PROMPTS, else the first data/prompts on the way up from <paramref name="from"/> (default: the
    /// program's folder); null when there is none, and then only the built-in prompts are found.
    /// </summary>
    public static string? DefaultDirectory(string? from = null)
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        for (var dir = new DirectoryInfo(from ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "prompts");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static PromptTemplate Load(string nameOrPath, string? directory = null, string? from = null)
    {
        if (nameOrPath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || nameOrPath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            return PromptTemplate.Load(nameOrPath);
        var dir = directory ?? DefaultDirectory(from);
        var path = dir is null ? null : Path.Combine(dir, nameOrPath + ".yaml");
        if (path is not null && File.Exists(path)) return PromptTemplate.Load(path);
        if (BuiltIn(nameOrPath) is { } bytes) return PromptTemplate.Parse(bytes, $"built-in prompt '{nameOrPath}'");
        var names = (dir is null ? [] : Names(dir)).Union(BuiltInNames()).Order(StringComparer.Ordinal);
        throw new QuantReasonException($"unknown prompt '{nameOrPath}'; available: {string.Join(", ", names)}, or a .yaml path",
            dir ?? "built-in prompts");
    }

    public static IReadOnlyList<string> Names(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory, "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The prompts built into the assembly (data/prompts at build time).</summary>
    public static IReadOnlyList<string> BuiltInNames() =>
        typeof(PromptLibrary).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..^".yaml".Length]).Order(StringComparer.Ordinal).ToList();

    static byte[]? BuiltIn(string name)
    {
        using var stream = typeof(PromptLibrary).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".yaml");
        if (stream is null) return null;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
