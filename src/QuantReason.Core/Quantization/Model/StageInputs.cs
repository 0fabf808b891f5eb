using System.Runtime.InteropServices;
using QuantReason.Models;

namespace QuantReason.Quantization.Model;

/// <summary>
/// One input group's input [length, width] for every calibration sample, kept from the pass that observed it so the
/// next GPTQ stage's pass (and the pass that makes the next layer's inputs) resumes there instead of recomputing the
/// layer up to it. When the runtime rounds activations to bf16 the values are bf16 already and are kept as bf16:
/// exactly, in half the memory (a 1B model's down_proj inputs are 128 × 512 × 8,192 values: 1 GB).
/// </summary>
sealed class StageInputs
{
    public InputGroup Group { get; }
    public int Width { get; }
    readonly int _length;
    readonly ushort[][]? _bf16; // per sample [length, width]
    readonly float[][]? _f32;   // per sample [length, width]

    public StageInputs(InputGroup group, int samples, int length, int width, bool bf16)
    {
        Group = group; Width = width; _length = length;
        if (bf16) _bf16 = Enumerable.Range(0, samples).Select(_ => new ushort[(long)length * width]).ToArray();
        else _f32 = Enumerable.Range(0, samples).Select(_ => new float[(long)length * width]).ToArray();
    }

    /// <summary>Keeps sample <paramref name="sample"/>'s input [length, width].</summary>
    public void Save(int sample, ReadOnlySpan<float> input)
    {
        if (_f32 is not null) { input[..(_length * Width)].CopyTo(_f32[sample]); return; }
        var bits = MemoryMarshal.Cast<float, uint>(input[..(_length * Width)]);
        var dst = _bf16![sample];
        uint low = 0;
        for (int i = 0; i < bits.Length; i++) { low |= bits[i] & 0xFFFF; dst[i] = (ushort)(bits[i] >> 16); }
        // bf16 storage is only chosen where the runtime rounded these values to bf16; anything else is a bug, not data.
        if (low != 0) throw new InvalidOperationException($"{Group.First} inputs are not bf16 values; they cannot be kept as bf16");
    }

    /// <summary>Sample <paramref name="sample"/>'s input into <paramref name="dst"/> [length, width].</summary>
    public void Load(int sample, Span<float> dst)
    {
        if (_f32 is not null) { _f32[sample].CopyTo(dst); return; }
        var src = _bf16![sample];
        var bits = MemoryMarshal.Cast<float, uint>(dst[..src.Length]);
        for (int i = 0; i < src.Length; i++) bits[i] = (uint)src[i] << 16;
    }
}
