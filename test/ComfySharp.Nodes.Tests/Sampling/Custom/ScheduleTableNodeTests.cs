using ComfySharp.Abstractions;
using ComfySharp.Nodes.Sampling.Custom;
using Xunit;

namespace ComfySharp.Nodes.Tests.Sampling.Custom;

/// <summary>GITSScheduler and OptimalStepsScheduler against the published tables and numpy's log-linear resampling.</summary>
public sealed class ScheduleTableNodeTests
{
    private static float[] Gits(double coeff, long steps, double denoise = 1.0) =>
        (float[])new GITSScheduler().ExecuteAsync(new NodeInputs(new Dictionary<string, object?>() { ["coeff"] = coeff, ["steps"] = steps, ["denoise"] = denoise }), new TestNodeContext())
            .AsTask().Result.Values[0]!;

    private static float[] Optimal(string modelType, long steps, double denoise = 1.0) =>
        (float[])new OptimalStepsScheduler().ExecuteAsync(new NodeInputs(new Dictionary<string, object?>() { ["model_type"] = modelType, ["steps"] = steps, ["denoise"] = denoise }), new TestNodeContext())
            .AsTask().Result.Values[0]!;

    private static float[] F(params double[] values) => values.Select(v => (float)v).ToArray();

    [Fact]
    public void Gits_returns_the_published_row_with_a_final_zero()
    {
        // Rows of the GITS paper's table (coeff 1.20 at 10 steps, 0.80 at 2 steps, 1.50 at 20 steps), last σ replaced by 0.
        Assert.Equal(F(14.61464119, 5.85520077, 2.84484982, 1.67050016, 1.08895338, 0.74807048, 0.50118381, 0.32104823, 0.19894916, 0.09824532, 0), Gits(1.2, 10));
        Assert.Equal(F(14.61464119, 7.49001646, 0), Gits(0.8, 2));
        float[] twenty = Gits(1.5, 20);
        Assert.Equal(21, twenty.Length);
        Assert.Equal(F(14.61464119, 2.45070267, 1.41535246), twenty[..3]);
        Assert.Equal(F(0.13792117, 0.09824532, 0), twenty[^3..]);
    }

    [Fact]
    public void Gits_denoise_keeps_the_tail_and_zero_denoise_is_empty()
    {
        float[] full = Gits(1.2, 10);
        float[] half = Gits(1.2, 10, 0.5);
        Assert.Equal(full[^6..], half);
        Assert.Empty(Gits(1.2, 10, 0.0));
        // round(10·0.04) = 0 steps: the reference's slice keeps one value, which becomes 0.
        Assert.Equal([0f], Gits(1.2, 10, 0.04));
    }

    [Fact]
    public void Gits_beyond_twenty_steps_resamples_the_last_row_in_log_space()
    {
        float[] twenty = Gits(1.2, 20);
        float[] forty = Gits(1.2, 40);
        Assert.Equal(41, forty.Length);
        // linspace(0, 1, 41) contains the 21 nodes of the 20-step row at its even indices.
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(twenty[i], forty[2 * i], 5e-6f * twenty[i]);
        }
        // Odd indices are geometric means of their neighbours (linear in log σ), except the last pair (σ_min replaced by 0).
        for (int i = 1; i < 38; i += 2)
        {
            double expected = Math.Sqrt((double)forty[i - 1] * forty[i + 1]);
            Assert.Equal(expected, forty[i], 1e-5 * expected);
        }
        Assert.Equal(0f, forty[^1]);
    }

    [Fact]
    public void Gits_rejects_a_coefficient_without_a_table()
    {
        var error = Assert.Throws<NodeException>(() => Gits(0.83, 10));
        Assert.Contains("0.83", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optimal_steps_uses_the_table_at_its_own_length_and_resamples_otherwise()
    {
        // FLUX's table has 11 levels: 10 steps use it as is.
        Assert.Equal(F(0.9968, 0.9886, 0.9819, 0.975, 0.966, 0.9471, 0.9158, 0.8287, 0.5512, 0.2808, 0), Optimal("FLUX", 10));
        // 20 steps: 21 points whose even indices are the 11 table levels.
        float[] flux20 = Optimal("FLUX", 20);
        double[] table = [0.9968, 0.9886, 0.9819, 0.975, 0.966, 0.9471, 0.9158, 0.8287, 0.5512, 0.2808];
        for (int i = 0; i < table.Length; i++)
        {
            Assert.Equal(table[i], flux20[2 * i], 1e-6);
            Assert.Equal(Math.Sqrt(table[i] * (i + 1 < table.Length ? table[i + 1] : 0.001)), flux20[(2 * i) + 1], 1e-6);
        }
        Assert.Equal(0f, flux20[^1]);
        Assert.Equal(21, Optimal("Wan", 20).Length);
        Assert.Equal(1f, Optimal("Wan", 20)[0]);
        Assert.Equal(41, Optimal("Chroma", 40).Length);
        Assert.Equal(0.048f, Optimal("Chroma", 40)[^2]);
        Assert.Equal(Optimal("FLUX", 10)[^4..], Optimal("FLUX", 10, 0.3));
    }
}
