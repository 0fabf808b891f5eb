using QuantReason.Models;
using QuantReason.Weights;

namespace QuantReason.Quantization.Model;

/// <summary>
/// The settings <c>quantize</c> was not given, chosen from the model so the defaults run on it: a group size every
/// linear admits (128 where it fits, else the largest that does), a calibration length within the model's context
/// (512 tokens or the context, whichever is shorter), and the calibration source the model declares in
/// <see cref="ModelDefaults"/> (else GSM8K, as the studies use).
/// </summary>
public static class QuantizeDefaults
{
    public const int GroupSize = 128;
    public const int CalibrationLength = 512;
    public const string CalibrationSource = "gsm8k";

    public static QuantizeOptions For(ModelConfig cfg, ModelDefaults declared, QuantMethod method, int? bits, int? groupSize, bool sym, bool descAct,
        string? calibSource, int calibSamples, int? calibLength, bool? chatTemplate, ulong seed, string? dataDir)
    {
        // the model's own source comes with its rendering (a chat template, for a vocabulary without newlines)
        var source = calibSource ?? declared.CalibrationSource ?? CalibrationSource;
        var chat = chatTemplate ?? (string.Equals(source, declared.CalibrationSource, StringComparison.OrdinalIgnoreCase) && declared.CalibrationChatTemplate);
        var calibration = new CalibrationOptions(source, calibSamples, calibLength ?? Math.Min(CalibrationLength, cfg.MaxPositionEmbeddings), seed, chat, dataDir);
        var options = QuantizeOptions.Create(method, bits, groupSize, sym, descAct, calibration);
        if (groupSize is null && method != QuantMethod.SmoothQuant && ValidGroupSizes(cfg, options) is { Count: > 0 } valid && !valid.Contains(options.GroupSize))
            options = options with { GroupSize = valid.Where(g => g > 0).DefaultIfEmpty(-1).Max() };
        return options;
    }

    /// <summary>Group sizes (of <see cref="QuantFormat.SupportedGroupSizes"/>) every linear of the model admits under the other settings.</summary>
    public static IReadOnlyList<int> ValidGroupSizes(ModelConfig cfg, QuantizeOptions options) =>
        QuantFormat.SupportedGroupSizes.Where(g =>
        {
            var o = options with { GroupSize = g };
            try
            {
                foreach (var p in cfg.Architecture.Wiring.Projections)
                {
                    var (outF, inF) = p.Shape(cfg);
                    o.CheckLinear(p.Name, outF, inF);
                }
                return true;
            }
            catch (QuantReasonException) { return false; }
        }).ToList();
}
