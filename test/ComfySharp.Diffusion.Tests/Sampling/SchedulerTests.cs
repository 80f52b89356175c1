using System.Text.Json;
using ComfySharp.Diffusion.Sampling;
using Xunit;

namespace ComfySharp.Diffusion.Tests.Sampling;

public sealed class SchedulerTests
{
    private static readonly ModelSamplingDiscrete Sampling = ModelSamplingDiscrete.Epsilon;

    public static TheoryData<string> GoldenKeys()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(GoldenTensors.Path("04_sigmas", "sigmas.json")));
        var data = new TheoryData<string>();
        foreach (JsonElement e in doc.RootElement.GetProperty("schedules").EnumerateArray())
        {
            data.Add(e.GetProperty("key").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenKeys))]
    public void Schedule_matches_the_reference(string key)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(GoldenTensors.Path("04_sigmas", "sigmas.json")));
        JsonElement entry = doc.RootElement.GetProperty("schedules").EnumerateArray().Single(e => e.GetProperty("key").GetString() == key);
        string scheduler = entry.GetProperty("scheduler").GetString()!;
        int steps = entry.GetProperty("steps").GetInt32();
        double denoise = entry.GetProperty("denoise").GetDouble();
        string sampler = entry.TryGetProperty("sampler", out JsonElement s) ? s.GetString()! : "euler";
        double[] expected = entry.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();

        float[] actual = key.StartsWith("ksampler_", StringComparison.Ordinal)
            ? KSamplerSchedule.ForDenoise(Sampling, scheduler, sampler, steps, denoise)
            : Schedulers.Calculate(Sampling, scheduler, steps);

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6 * Math.Abs(expected[i]),
                $"{key}[{i}]: {actual[i]:R} vs {expected[i]:R}");
        }
    }

    [Fact]
    public void Tables_match_the_reference()
    {
        var golden = GoldenTensors.Load("04_sigmas", "sigmas.safetensors");
        float[] sigmas = golden["model_sampling_sigmas"].data<float>().ToArray();
        float[] logSigmas = golden["model_sampling_log_sigmas"].data<float>().ToArray();
        Assert.Equal(sigmas, Sampling.Sigmas);
        Assert.Equal(logSigmas, Sampling.LogSigmas);
        Assert.Equal(0.0291671585, Sampling.SigmaMin, 8);
        Assert.Equal(14.6146412, Sampling.SigmaMax, 6);
    }

    [Fact]
    public void Timestep_and_sigma_maps_follow_the_table()
    {
        Assert.Equal(834, Sampling.Timestep(6.0f));
        Assert.Equal(999, Sampling.Timestep(Sampling.SigmaMax));
        Assert.Equal(169, Sampling.Timestep(0.5f));
        Assert.Equal(Sampling.Sigmas[500], Sampling.Sigma(500.0), 5);
        Assert.Equal(0.0, Sampling.PercentToSigma(1.0));
        Assert.Equal(999999999.9, Sampling.PercentToSigma(0.0));
    }

    [Fact]
    public void Advanced_trim_forces_zero_and_skips_start()
    {
        float[] sigmas = Schedulers.Calculate(Sampling, "normal", 10);
        float[]? trimmed = KSamplerSchedule.Trim(sigmas, 2, 5, forceFullDenoise: true);
        Assert.NotNull(trimmed);
        Assert.Equal(4, trimmed!.Length);
        Assert.Equal(sigmas[2], trimmed[0]);
        Assert.Equal(0f, trimmed[^1]);
        float[]? leftover = KSamplerSchedule.Trim(sigmas, 0, 5, forceFullDenoise: false);
        Assert.Equal(sigmas[5], leftover![^1]);
        Assert.Null(KSamplerSchedule.Trim(sigmas, 10, 10000, forceFullDenoise: true));
    }
}
