namespace QuantReason.Tests;

/// <summary>
/// Locates the shared reference material (../shared beside the repository, or $QUANTREASON_SHARED) and discovers
/// fixtures by listing folders, never by naming them.
/// </summary>
public static class Shared
{
    public static readonly string? Root = FindRoot();

    public static string SkipReason =>
        "shared reference material not found: set QUANTREASON_SHARED or place it at ../shared beside the repository";

    static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("QUANTREASON_SHARED");
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        // Walk up from the test binary until a folder holds both Toolkit.sln and a sibling 'shared'.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        }
        return null;
    }

    public static string PathOf(params string[] parts) =>
        Path.Combine([Root ?? throw new InvalidOperationException(SkipReason), .. parts]);

    /// <summary>Sub-folders of a shared folder, sorted, as xunit theory data (empty when shared is absent).</summary>
    public static TheoryData<string> Folders(params string[] parts)
    {
        var data = new TheoryData<string>();
        if (Root is null) return data;
        var dir = Path.Combine([Root, .. parts]);
        if (!Directory.Exists(dir)) return data;
        foreach (var d in Directory.GetDirectories(dir).OrderBy(d => d, StringComparer.Ordinal))
            data.Add(Path.GetFileName(d));
        return data;
    }

    /// <summary>Files of a shared folder matching a pattern, sorted, as xunit theory data.</summary>
    public static TheoryData<string> Files(string pattern, params string[] parts)
    {
        var data = new TheoryData<string>();
        if (Root is null) return data;
        var dir = Path.Combine([Root, .. parts]);
        if (!Directory.Exists(dir)) return data;
        foreach (var f in Directory.GetFiles(dir, pattern).OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }
}

/// <summary>A fact that needs ../shared; skipped with a clear message when it is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute() { if (Shared.Root is null) Skip = Shared.SkipReason; }
}

/// <summary>A theory over discovered shared fixtures; skipped with a clear message when ../shared is absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute() { if (Shared.Root is null) Skip = Shared.SkipReason; }
}
