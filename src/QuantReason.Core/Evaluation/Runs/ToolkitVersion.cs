using System.Reflection;

namespace QuantReason.Evaluation.Runs;

/// <summary>The version stamped into manifests: the Core assembly's informational version (source revision included).</summary>
public static class ToolkitVersion
{
    public static readonly string Current =
        typeof(ToolkitVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ToolkitVersion).Assembly.GetName().Version?.ToString() ?? "0.0.0";
}
