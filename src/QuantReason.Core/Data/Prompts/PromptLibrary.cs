using QuantReason.Evaluation;
namespace QuantReason.Data.Prompts;

/// <summary>
/// Finds prompts by name: a path to a .yaml file, or NAME.yaml in the given folder, $QUANTREASON_PROMPTS, or the
/// repository's data/prompts found by walking up from the program's folder.
/// </summary>
public static class PromptLibrary
{
    public const string EnvironmentVariable = "QUANTREASON_PROMPTS";

    public static string? DefaultDirectory()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "prompts");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static PromptTemplate Load(string nameOrPath, string? directory = null)
    {
        if (nameOrPath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || nameOrPath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            return PromptTemplate.Load(nameOrPath);
        var dir = directory ?? DefaultDirectory()
            ?? throw new QuantReasonException($"no prompt folder found; set {EnvironmentVariable} or give a .yaml path", nameOrPath);
        var path = Path.Combine(dir, nameOrPath + ".yaml");
        if (!File.Exists(path))
            throw new QuantReasonException($"unknown prompt '{nameOrPath}'; available: {string.Join(", ", Names(dir))}", dir);
        return PromptTemplate.Load(path);
    }

    public static IReadOnlyList<string> Names(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory, "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList()
            : [];
}
