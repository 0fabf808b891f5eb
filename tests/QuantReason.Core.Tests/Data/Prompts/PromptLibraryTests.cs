using System.Security.Cryptography;
using QuantReason.Data.Prompts;

namespace QuantReason.Tests.Data.Prompts;

/// <summary>
/// A published binary has no repository above it: the locator, searching from a folder outside the repository, must
/// still find every shipped prompt (built into the assembly) with the same bytes, hence the same digest, as data/prompts.
/// </summary>
public sealed class PromptLibraryTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-published-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly string Repo = RepoFiles.PathOf("data", "prompts");

    [Fact]
    public void Every_shipped_prompt_is_found_from_outside_the_repository_with_the_files_digest()
    {
        Assert.Null(Environment.GetEnvironmentVariable(PromptLibrary.EnvironmentVariable));
        Assert.Null(PromptLibrary.DefaultDirectory(from: _dir)); // nothing to walk up to, as for a published binary
        var shipped = Directory.GetFiles(Repo, "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(shipped, PromptLibrary.BuiltInNames());
        foreach (var name in shipped)
        {
            var p = PromptLibrary.Load(name, from: _dir);
            Assert.Equal(name, p.Name);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(Repo, name + ".yaml")))), p.Digest);
        }
        var e = Assert.Throws<QuantReasonException>(() => PromptLibrary.Load("nope", from: _dir));
        Assert.Contains("step-tags", e.Message);
    }

    [Fact]
    public void A_prompt_folder_beside_the_program_is_preferred_to_the_built_in_copies()
    {
        var prompts = Directory.CreateDirectory(Path.Combine(_dir, "data", "prompts")).FullName;
        File.WriteAllText(Path.Combine(prompts, "step-tags.yaml"), "name: step-tags\nkind: chat\ninstruction: \"Q {problem}\"\n");
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "bin", "publish")).FullName;
        Assert.Equal(prompts, PromptLibrary.DefaultDirectory(from: bin));
        Assert.Equal("Q 1+1", PromptLibrary.Load("step-tags", from: bin).Messages("1+1").Last().Content);
        // a name the folder lacks still comes from the built-in prompts
        Assert.Equal("zero-shot-boxed", PromptLibrary.Load("zero-shot-boxed", from: bin).Name);
    }
}
