namespace QuantReason.Tensors;

/// <summary>ggml tensor types as numbered in GGUF tensor infos (gaps are types ggml has retired).</summary>
public enum GgufTensorType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
}

/// <summary>Block geometry of each ggml type: a row of n elements occupies n / BlockElements * BlockBytes bytes.</summary>
public static class GgufTensorTypeInfo
{
    /// <summary>(elements per block, bytes per block); the byte counts follow ggml's block structs.</summary>
    public static (int BlockElements, int BlockBytes) Geometry(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => (1, 4),
        GgufTensorType.F16 => (1, 2),
        GgufTensorType.BF16 => (1, 2),
        GgufTensorType.F64 => (1, 8),
        GgufTensorType.I8 => (1, 1),
        GgufTensorType.I16 => (1, 2),
        GgufTensorType.I32 => (1, 4),
        GgufTensorType.I64 => (1, 8),
        GgufTensorType.Q4_0 => (32, 18),   // f16 d + 16 nibble bytes
        GgufTensorType.Q4_1 => (32, 20),   // f16 d, m + 16
        GgufTensorType.Q5_0 => (32, 22),   // f16 d + 4 high bits + 16
        GgufTensorType.Q5_1 => (32, 24),
        GgufTensorType.Q8_0 => (32, 34),   // f16 d + 32 int8
        GgufTensorType.Q8_1 => (32, 36),   // f16 d, s + 32 int8
        GgufTensorType.IQ4_NL => (32, 18),
        GgufTensorType.MXFP4 => (32, 17),  // e8m0 scale + 16 nibble bytes
        GgufTensorType.Q2_K => (256, 84),
        GgufTensorType.Q3_K => (256, 110),
        GgufTensorType.Q4_K => (256, 144),
        GgufTensorType.Q5_K => (256, 176),
        GgufTensorType.Q6_K => (256, 210),
        GgufTensorType.Q8_K => (256, 292),
        GgufTensorType.IQ2_XXS => (256, 66),
        GgufTensorType.IQ2_XS => (256, 74),
        GgufTensorType.IQ3_XXS => (256, 98),
        GgufTensorType.IQ1_S => (256, 50),
        GgufTensorType.IQ3_S => (256, 110),
        GgufTensorType.IQ2_S => (256, 82),
        GgufTensorType.IQ4_XS => (256, 136),
        GgufTensorType.IQ1_M => (256, 56),
        GgufTensorType.TQ1_0 => (256, 54),
        GgufTensorType.TQ2_0 => (256, 66),
        _ => (0, 0),
    };

    public static bool IsKnown(GgufTensorType type) => Geometry(type).BlockElements != 0;
}
