using System.Runtime.InteropServices;

namespace QuantReason.Tests;

/// <summary>
/// CPU time of the calling OS thread. Timing tests measure their own work with it: the process's CPU time also counts
/// every test class running beside them, so on a loaded test run it says nothing about the code under test.
/// </summary>
static partial class ThreadCpu
{
    [LibraryImport("libc", EntryPoint = "sysconf")] private static partial long SysConf(int name);
    const int ScClkTck = 2; // Linux _SC_CLK_TCK

    /// <summary>User + system time of this thread (Linux: /proc/thread-self/stat); elsewhere the process's, which is an
    /// upper bound.</summary>
    public static TimeSpan Now()
    {
        const string stat = "/proc/thread-self/stat";
        if (!OperatingSystem.IsLinux() || !File.Exists(stat)) return System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var text = File.ReadAllText(stat);
        // after the command name's closing parenthesis: state is field 3, utime 14 and stime 15 (proc(5))
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
        return TimeSpan.FromSeconds((double)ticks / SysConf(ScClkTck));
    }

    /// <summary>Runs <paramref name="work"/> on this thread and returns its result with the CPU time it took.</summary>
    public static (T Result, TimeSpan Cpu) Measure<T>(Func<T> work)
    {
        var before = Now();
        var result = work();
        return (result, Now() - before);
    }
}
