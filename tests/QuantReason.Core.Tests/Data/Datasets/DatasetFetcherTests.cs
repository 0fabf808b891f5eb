using System.Net;
using QuantReason.Data.Datasets;
using QuantReason.Tests;
using QuantReason.Tests.Evaluation;

namespace QuantReason.Tests.Data.Datasets;

public sealed class DatasetFetcherTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-fetch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Serves fixed bytes for every request and counts the requests.</summary>
    sealed class FixedHandler(Func<HttpRequestMessage, byte[]> body) : HttpMessageHandler
    {
        public int Requests;
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancel)
        {
            Interlocked.Increment(ref Requests);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body(request)) });
        }
    }

    [Fact]
    public async Task Offline_gives_a_clear_error_naming_the_url_and_where_to_put_the_file()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        // Port 9 (discard) on loopback refuses connections: the same failure a machine without network produces.
        var fetcher = new DatasetFetcher(http, NullProgress.Instance) { UrlOverride = _ => new Uri("http://127.0.0.1:9/test.jsonl") };
        var e = await Assert.ThrowsAsync<QuantReasonException>(() => fetcher.FetchAsync(DatasetCatalog.Get("math500"), _dir));
        Assert.Equal("http://127.0.0.1:9/test.jsonl", e.Where);
        Assert.Contains("offline", e.Message);
        Assert.Contains(Path.Combine(_dir, "math500", "test.jsonl"), e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "math500", "test.jsonl")));
        Assert.False(File.Exists(Path.Combine(_dir, "math500", "test.jsonl.part")));
    }

    [Fact]
    public async Task A_download_with_the_wrong_digest_is_rejected_and_not_installed()
    {
        using var http = new HttpClient(new FixedHandler(_ => "{\"problem\": \"tampered\"}\n"u8.ToArray()));
        var fetcher = new DatasetFetcher(http, NullProgress.Instance);
        var e = await Assert.ThrowsAsync<QuantReasonException>(() => fetcher.FetchAsync(DatasetCatalog.Get("math500"), _dir));
        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.Empty(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories));
    }

    [SharedFact]
    public async Task The_public_bytes_are_installed_and_a_second_fetch_downloads_nothing()
    {
        var entry = DatasetCatalog.Get("gsm8k");
        var handler = new FixedHandler(r =>
            File.ReadAllBytes(Shared.PathOf("data", entry.Files.Single(f => f.Url == r.RequestUri).RelativePath)));
        using var http = new HttpClient(handler);
        var fetcher = new DatasetFetcher(http, NullProgress.Instance);
        var paths = await fetcher.FetchAsync(entry, _dir);
        Assert.Equal(entry.Files.Count, paths.Count);
        Assert.Equal(entry.Files.Count, handler.Requests);
        await fetcher.FetchAsync(entry, _dir);
        Assert.Equal(entry.Files.Count, handler.Requests);
    }

    public static TheoryData<string> SharedDataFiles()
    {
        var data = new TheoryData<string>();
        foreach (string folder in Shared.Folders("data"))
            foreach (string file in Shared.Files("*.json*", "data", folder))
                data.Add($"{folder}/{file}");
        return data;
    }

    /// <summary>Every public file in ../shared/data is in the catalogue, pinned to its exact digest and size.</summary>
    [SharedTheory]
    [MemberData(nameof(SharedDataFiles))]
    public async Task Catalogue_pins_the_digest_of_each_public_file(string relative)
    {
        var pinned = DatasetCatalog.Entries.SelectMany(e => e.Files).Single(f => f.RelativePath == relative);
        var path = Shared.PathOf("data", relative);
        Assert.Equal(pinned.Sha256, await DatasetFetcher.DigestAsync(path));
        Assert.Equal(pinned.Size, new FileInfo(path).Length);
    }
}
