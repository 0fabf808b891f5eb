using System.Net.Sockets;
using System.Security.Cryptography;
using QuantReason.Evaluation;

namespace QuantReason.Data.Datasets;

/// <summary>
/// Downloads catalogue files with HttpClient, checks each against its pinned SHA-256 and only then moves it into place,
/// so a partial or tampered download never looks like a dataset. Files already present with the right digest are kept.
/// </summary>
public sealed class DatasetFetcher(HttpClient http, IProgressSink progress)
{
    /// <summary>Replaces catalogue URLs (tests point it at an unreachable address to exercise the offline error).</summary>
    internal Func<DatasetFile, Uri>? UrlOverride { get; init; }

    /// <summary>Fetches every file of the entry into <paramref name="directory"/>; returns the local paths.</summary>
    public async Task<IReadOnlyList<string>> FetchAsync(CatalogEntry entry, string directory, CancellationToken cancel = default)
    {
        var paths = new List<string>();
        progress.Start($"fetch {entry.Name}", entry.Files.Sum(f => (double)f.Size));
        foreach (var file in entry.Files)
        {
            var path = Path.Combine(directory, file.RelativePath);
            if (File.Exists(path) && await DigestAsync(path, cancel) == file.Sha256)
            {
                progress.Advance(file.Size, $"{file.RelativePath} already present");
                paths.Add(path);
                continue;
            }
            await DownloadAsync(file, path, cancel);
            paths.Add(path);
        }
        progress.Finish();
        return paths;
    }

    async Task DownloadAsync(DatasetFile file, string path, CancellationToken cancel)
    {
        var url = UrlOverride?.Invoke(file) ?? file.Url;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var part = path + ".part";
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel);
            if (!response.IsSuccessStatusCode)
                throw new QuantReasonException($"download failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}", url.ToString());
            await using (var source = await response.Content.ReadAsStreamAsync(cancel))
            await using (var target = File.Create(part))
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await source.ReadAsync(buffer, cancel)) > 0)
                {
                    await target.WriteAsync(buffer.AsMemory(0, n), cancel);
                    progress.Advance(n);
                }
            }
            var digest = await DigestAsync(part, cancel);
            if (digest != file.Sha256)
                throw new QuantReasonException(
                    $"SHA-256 mismatch for {file.RelativePath}: expected {file.Sha256}, got {digest}; the file was not installed",
                    url.ToString());
            File.Move(part, path, overwrite: true);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException
                                   || e is TaskCanceledException && !cancel.IsCancellationRequested)
        {
            var reason = e is TaskCanceledException ? "timed out" : e.Message;
            throw new QuantReasonException(
                $"cannot download {file.RelativePath} ({reason}); the machine looks offline. " +
                $"Copy the file by hand to {path} (SHA-256 {file.Sha256}) and rerun.", url.ToString(), e);
        }
        finally
        {
            if (File.Exists(part)) File.Delete(part);
        }
    }

    public static async Task<string> DigestAsync(string path, CancellationToken cancel = default)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancel));
    }
}
