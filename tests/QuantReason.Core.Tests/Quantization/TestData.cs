namespace QuantReason.Tests.Quantization;

/// <summary>Seeded random weights and activations shaped like a transformer's: Gaussian bulk plus a few outlier channels.</summary>
static class TestData
{
    public static float[] Gaussian(Random rng, int n, float std = 1f)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            v[i] = std * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return v;
    }

    /// <summary>[rows, cols] Gaussian with a handful of columns scaled up (activation-style outlier channels).</summary>
    public static float[] WithOutlierColumns(Random rng, int rows, int cols, int outliers, float factor)
    {
        var v = Gaussian(rng, rows * cols);
        for (int j = 0; j < outliers; j++)
        {
            int c = rng.Next(cols);
            for (int r = 0; r < rows; r++) v[r * cols + c] *= factor;
        }
        return v;
    }
}
