namespace QuantReason.Tests;

/// <summary>Files committed in this repository (data/…), found by walking up to Toolkit.sln.</summary>
static class RepoFiles
{
    static readonly string Root = Find();

    static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Toolkit.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root (Toolkit.sln) not found above the test binary");
    }

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);
}
