namespace QuantReason.Models;

public enum RopeType { Default, Llama3 }

/// <summary>Rotary embedding parameters; Llama 3.x rescales low frequencies (rope_type "llama3").</summary>
public sealed record RopeScaling(
    RopeType Type,
    double Theta,
    double Factor = 1,
    double LowFreqFactor = 1,
    double HighFreqFactor = 4,
    int OriginalMaxPositionEmbeddings = 8192)
{
    /// <summary>The inverse frequencies of the rotary pairs, computed in f64 as transformers does, then rounded to f32.</summary>
    public float[] InverseFrequencies(int headDim)
    {
        int half = headDim / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++)
        {
            // transformers: 1 / theta ** (arange(0, dim, 2).float() / dim) — computed in f32 there.
            float exponent = (float)(2 * i) / headDim;
            float f = 1.0f / MathF.Pow((float)Theta, exponent);
            if (Type == RopeType.Llama3) f = Llama3Adjust(f);
            inv[i] = f;
        }
        return inv;
    }

    float Llama3Adjust(float freq)
    {
        float lowFreqWavelen = (float)(OriginalMaxPositionEmbeddings / LowFreqFactor);
        float highFreqWavelen = (float)(OriginalMaxPositionEmbeddings / HighFreqFactor);
        float wavelen = 2 * MathF.PI / freq;
        if (wavelen > lowFreqWavelen) return freq / (float)Factor;
        if (wavelen < highFreqWavelen) return freq;
        float smooth = (float)((OriginalMaxPositionEmbeddings / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor));
        return (1 - smooth) * freq / (float)Factor + smooth * freq;
    }
}
