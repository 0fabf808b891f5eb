using System.CommandLine;
using Spectre.Console;
using QuantReason.Data.Datasets;

namespace QuantReason.Cli;

/// <summary><c>quantreason data fetch|list</c>: obtain the public benchmark files and see which are in place.</summary>
public static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Public datasets (MATH, MATH-500, GSM8K, ProcessBench): fetch and list.");
        command.Subcommands.Add(Fetch());
        command.Subcommands.Add(List());
        return command;
    }

    static Option<string?> DataDirOption() => new("--data-dir")
    {
        Description = $"where datasets live (default ${DataDirectory.EnvironmentVariable}, else a per-user folder)",
    };

    static Command Fetch()
    {
        var name = new Argument<string>("name") { Description = string.Join("|", DatasetCatalog.Entries.Select(e => e.Name)) };
        var dir = new Option<string?>("--dir") { Description = "download into this folder instead of the data directory" };
        var dataDir = DataDirOption();
        var timeout = new Option<int>("--timeout") { Description = "seconds per request", DefaultValueFactory = _ => 60 };
        var cmd = new Command("fetch", "Download a dataset's public files and check their pinned SHA-256 digests.") { name, dir, dataDir, timeout };
        cmd.SetAction(parse => Guard(() =>
        {
            var entry = DatasetCatalog.Get(parse.GetValue(name)!);
            var target = parse.GetValue(dir) is { } d ? Path.GetFullPath(d) : DataDirectory.Resolve(parse.GetValue(dataDir));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout))) };
            var fetcher = new DatasetFetcher(http, NullProgress.Instance);
            foreach (var path in fetcher.FetchAsync(entry, target).GetAwaiter().GetResult())
                AnsiConsole.MarkupLineInterpolated($"[green]ok[/] {path}");
            return 0;
        }));
        return cmd;
    }

    static Command List()
    {
        var dataDir = DataDirOption();
        var cmd = new Command("list", "Show the known datasets and whether each file is present with the right digest.") { dataDir };
        cmd.SetAction(parse => Guard(() =>
        {
            var root = DataDirectory.Resolve(parse.GetValue(dataDir));
            var table = new Table().AddColumns("dataset", "file", "status");
            foreach (var entry in DatasetCatalog.Entries)
                foreach (var file in entry.Files)
                {
                    var path = Path.Combine(root, file.RelativePath);
                    var status = !File.Exists(path) ? "missing"
                        : DatasetFetcher.DigestAsync(path).GetAwaiter().GetResult() == file.Sha256 ? "ok" : "digest mismatch";
                    table.AddRow(Markup.Escape(entry.Name), Markup.Escape(file.RelativePath), status);
                }
            AnsiConsole.MarkupLineInterpolated($"data directory: {root}");
            AnsiConsole.Write(table);
            return 0;
        }));
        return cmd;
    }

    static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (QuantReasonException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
