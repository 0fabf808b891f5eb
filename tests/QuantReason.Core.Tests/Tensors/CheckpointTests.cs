using QuantReason.Runtime;
using QuantReason.Tensors;
using QuantReason.Tests.Jobs;
using QuantReason.Tokenizers;

namespace QuantReason.Tests.Tensors;

/// <summary>
/// Checkpoints laid out as the Hugging Face cache stores them: snapshots/REV/NAME are relative symlinks into blobs/, so
/// every size and offset must be measured on the link's target, never on the link.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("qr-hfcache-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    public static TheoryData<string> Fixtures => Shared.Folders("fixtures", "models");

    /// <summary>models--org--NAME/{blobs/HASH, snapshots/REV/FILE → ../../blobs/HASH}; returns the snapshot folder.</summary>
    string HfCacheOf(string source, string name)
    {
        var repo = Path.Combine(_dir, $"models--test--{name}");
        var blobs = Directory.CreateDirectory(Path.Combine(repo, "blobs")).FullName;
        var snapshot = Directory.CreateDirectory(Path.Combine(repo, "snapshots", "0123456789abcdef")).FullName;
        foreach (var file in Directory.GetFiles(source))
        {
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
            if (!File.Exists(Path.Combine(blobs, hash))) File.Copy(file, Path.Combine(blobs, hash));
            File.CreateSymbolicLink(Path.Combine(snapshot, Path.GetFileName(file)), Path.Combine("..", "..", "blobs", hash));
        }
        Assert.NotNull(new FileInfo(Path.Combine(snapshot, "model.safetensors")).LinkTarget);
        return snapshot;
    }

    static float[] Logits(Model model, int[] ids) =>
        model.Transformer.Forward([new SequenceChunk(model.Transformer.NewCache(), ids)], LogitsMode.All);

    [SharedTheory, MemberData(nameof(Fixtures))]
    public void A_symlinked_checkpoint_gives_the_logits_of_the_direct_load(string name)
    {
        var direct = Shared.PathOf("fixtures", "models", name);
        var linked = HfCacheOf(direct, name);
        using var reference = SafeTensorsFile.Open(Path.Combine(linked, "reference.safetensors"));
        var ids = reference.ReadI32("input_ids");
        Assert.Equal(Logits(Model.Load(direct), ids), Logits(Model.Load(linked), ids));
    }

    [ReferenceModelFact]
    public void The_reference_model_and_its_tokenizer_load_through_symlinks()
    {
        var direct = StudyRunnerTests.Model;
        var linked = HfCacheOf(direct, "stepmath-ref");
        const string text = "25+79<|step_start|>25+79=104<|step_end|><|answer_start|>\\boxed{104}";
        var ids = TokenizerLoader.FromDirectory(direct).Encode(text, addSpecialTokens: true);
        Assert.Equal(ids, TokenizerLoader.FromDirectory(linked).Encode(text, addSpecialTokens: true));
        Assert.Equal(Logits(Model.Load(direct), ids), Logits(Model.Load(linked), ids));
    }
}
