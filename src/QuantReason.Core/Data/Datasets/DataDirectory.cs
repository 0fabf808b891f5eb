using QuantReason.Evaluation;
namespace QuantReason.Data.Datasets;

/// <summary>Where datasets live: <c>--data-dir</c>, else $QUANTREASON_DATA, else a per-user folder.</summary>
public static class DataDirectory
{
    public const string EnvironmentVariable = "QUANTREASON_DATA";

    public static string Resolve(string? option = null)
    {
        if (!string.IsNullOrWhiteSpace(option)) return Path.GetFullPath(option);
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData,
            Environment.SpecialFolderOption.DoNotVerify), "quantreason", "datasets");
    }
}
