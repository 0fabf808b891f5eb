using QuantReason.Training;

namespace QuantReason.Tests.Training;

public class GrpoAdvantagesTests
{
    [Fact]
    public void Advantages_are_centred_and_scaled_per_group_with_bessels_std()
    {
        // Group 1: {1, 0, 0, 1}: mean 0.5, torch.std = √(4·0.25 / 3) = 0.57735 → ±0.5 / (0.57735 + 1e-4).
        // Group 2: {1.1, 0.1, 0.1, 0.1}: mean 0.35, std = √((0.75² + 3·0.25²) / 3) = 0.5.
        var a = GrpoAdvantages.Compute([1f, 0f, 0f, 1f, 1.1f, 0.1f, 0.1f, 0.1f], group: 4);
        double s1 = 0.5 / (Math.Sqrt(1.0 / 3) + 1e-4);
        Assert.Equal([s1, -s1, -s1, s1], a[..4].Select(x => (double)x), new Tolerance(1e-5));
        Assert.Equal(0.75 / 0.5001, a[4], 4);
        Assert.Equal(-0.25 / 0.5001, a[5], 4);
        for (int g = 0; g < 2; g++)
        {
            var grp = a.Skip(4 * g).Take(4).ToArray();
            Assert.Equal(0.0, grp.Average(x => (double)x), 5);
            double std = Math.Sqrt(grp.Sum(x => (x - 0.0) * (x - 0.0)) / 3);
            Assert.InRange(std, 0.999, 1.0);
        }
    }

    [Fact]
    public void A_group_with_equal_rewards_carries_no_signal_and_unscaled_advantages_are_only_centred()
    {
        Assert.All(GrpoAdvantages.Compute([0.7f, 0.7f, 0.7f], 3), x => Assert.InRange(x, -1e-6f, 1e-6f));
        Assert.Equal([0.75f, -0.25f, -0.25f, -0.25f], GrpoAdvantages.Compute([1.1f, 0.1f, 0.1f, 0.1f], 4, scale: false), new Tolerance(1e-6));
    }

    [Fact]
    public void Rewards_that_do_not_form_whole_groups_are_refused()
    {
        Assert.Contains("groups of 4", Assert.Throws<QuantReasonException>(() => GrpoAdvantages.Compute([1f, 0f, 1f], 4)).Message);
        Assert.Throws<QuantReasonException>(() => GrpoAdvantages.Compute([1f], 1));
    }

    sealed class Tolerance(double eps) : IEqualityComparer<double>, IEqualityComparer<float>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= eps;
        public bool Equals(float x, float y) => Math.Abs(x - y) <= eps;
        public int GetHashCode(double obj) => 0;
        public int GetHashCode(float obj) => 0;
    }
}
