using System.CommandLine;
using QuantReason.Models;
using QuantReason.Tensors;
using QuantReason.Tokenizers;

namespace QuantReason.Cli;

/// <summary>`quantreason inspect --model DIR`: architecture, parameter count, dtypes, tokenizer kind and special tokens.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint directory (config.json, *.safetensors, tokenizer)", Required = true };
        var cmd = new Command("inspect", "Describe a checkpoint: architecture, parameters, dtypes, tokenizer") { model };
        cmd.SetAction(p => Cli.Guard(p, () => Run(p.GetValue(model)!)));
        return cmd;
    }

    static int Run(string dir)
    {
        var cfg = ModelConfig.Load(dir);
        using var ck = Checkpoint.Open(dir);
        var o = Cli.Out;
        o.WriteLine($"model         {Path.GetFullPath(dir)}");
        o.WriteLine($"architecture  {cfg.Architecture.HfClass} ({cfg.Architecture.Kind})");
        o.WriteLine($"parameters    {cfg.ParameterCount:N0} ({cfg.ParameterCount / 1e9:F3} B)");
        o.WriteLine($"layers        {cfg.NumLayers}, hidden {cfg.HiddenSize}, MLP {cfg.IntermediateSize}, vocab {cfg.VocabSize}");
        o.WriteLine($"attention     {cfg.NumHeads} query heads, {cfg.NumKvHeads} key/value heads, head_dim {cfg.HeadDim}" +
                    (cfg.AttentionBias ? ", q/k/v bias" : "") + (cfg.Architecture.QkNorm ? ", q/k norm" : ""));
        o.WriteLine($"rope          {cfg.Rope.Type.ToString().ToLowerInvariant()}, theta {cfg.Rope.Theta}" +
                    (cfg.Rope.Type == RopeType.Llama3 ? $", factor {cfg.Rope.Factor}, original context {cfg.Rope.OriginalMaxPositionEmbeddings}" : "") +
                    $"; context {cfg.MaxPositionEmbeddings}");
        o.WriteLine($"embeddings    {(cfg.TieWordEmbeddings ? "tied" : "separate LM head")}");
        if (Weights.CheckpointQuantization.Load(dir) is { } quant) o.WriteLine($"quantization  {quant.Describe()}");
        var dtypes = ck.Tensors.GroupBy(t => t.DType).OrderBy(g => g.Key)
            .Select(g => $"{g.Key.ToSafeTensorsName()} ×{g.Count()} ({g.Sum(t => t.ByteLength) / 1e6:F1} MB)");
        o.WriteLine($"tensors       {ck.Tensors.Count()} in {ck.Files.Count} file(s): {string.Join(", ", dtypes)}");
        if (cfg.EosTokenIds.Count > 0 || cfg.BosTokenId is not null)
            o.WriteLine($"config ids    bos {cfg.BosTokenId?.ToString() ?? "-"}, eos [{string.Join(", ", cfg.EosTokenIds)}]");
        ITokenizer? tok = null;
        try { tok = TokenizerLoader.FromDirectory(dir); }
        catch (QuantReasonException e) { o.WriteLine($"tokenizer     none ({e.Message})"); }
        if (tok is not null)
        {
            o.WriteLine($"tokenizer     {TokenizerDescription.Kind(tok, dir)}, {tok.VocabSize} tokens");
            string Name(int? id) => id is int i ? $"{tok.TokenToString(i)} ({i})" : "-";
            o.WriteLine($"special       bos {Name(tok.BosId)}, eos [{string.Join(", ", tok.EosIds.Select(i => Name(i)))}], pad {Name(tok.PadId)}");
            o.WriteLine($"chat template {TokenizerDescription.Template(tok)}");
            if (tok.VocabSize > cfg.VocabSize)
                o.WriteLine($"warning       tokenizer has {tok.VocabSize} tokens but the model's vocabulary is {cfg.VocabSize}");
        }
        return 0;
    }
}
