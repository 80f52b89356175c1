using ComfySharp.Diffusion.ClipVision;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.UNet;

/// <summary>One unCLIPConditioning application: an image encoding, its weight and its noise augmentation (0..1).</summary>
/// <param name="Output">The CLIP vision encoding; each row of its image embeddings counts as one image.</param>
/// <param name="Strength">Multiplier of the augmented vector.</param>
/// <param name="NoiseAugmentation">Fraction of the noise augmentor's schedule (0 = almost clean, 1 = pure noise).</param>
public sealed record UnclipCondition(ClipVisionOutput Output, double Strength, double NoiseAugmentation);

/// <summary>
/// The ADM vector of SD 2.1 unCLIP models (the reference's <c>model_base.unclip_adm</c> with its
/// <c>CLIPEmbeddingNoiseAugmentation</c>): each image embedding is noised with the augmentor's own cosine schedule
/// (<c>squaredcos_cap_v2</c>, 1000 steps, level = round(999·augmentation)), the sinusoidal embedding of that level is
/// appended, and the result is scaled by the strength. Several images are summed and augmented again at the merge
/// level. The data statistics are the reference's defaults (mean 0, std 1), so scaling around them is the identity.
/// Noise comes from a CPU generator seeded with the sampling seed − 10 for every image (as the reference reseeds for
/// each), the merge draw continuing that generator.
/// </summary>
public static class UnclipAdm
{
    /// <summary>Conditioning option: the list of <see cref="UnclipCondition"/> (the reference's <c>unclip_conditioning</c>).</summary>
    public const string Key = "unclip_conditioning";

    /// <summary>The augmentor's number of noise levels.</summary>
    public const int MaxNoiseLevel = 1000;

    /// <summary>Augmentation of the sum of several images in SD 2.1 unCLIP (the reference's <c>unclip_noise_augment_merge</c> default).</summary>
    public const double Sd21MergeAugmentation = 0.05;

    private static readonly Lazy<(float[] Signal, float[] Noise)> Schedule = new(BuildSchedule);

    /// <summary>√ᾱ and √(1−ᾱ) of the augmentor's schedule, rounded to float32 as the reference's buffers are.</summary>
    public static (float[] Signal, float[] Noise) Coefficients => Schedule.Value;

    /// <summary>The level index for an augmentation fraction: round(999·a), half to even.</summary>
    public static int NoiseLevel(double augmentation) => (int)Math.Round((MaxNoiseLevel - 1) * augmentation, MidpointRounding.ToEven);

    /// <summary>The [1, 2·<paramref name="dim"/>] vector for the unCLIP conditions of one entry.</summary>
    public static Tensor Encode(IReadOnlyList<UnclipCondition> conditions, int dim, ulong seed, double mergeAugmentation)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        using var scope = NewDisposeScope();
        var outputs = new List<Tensor>();
        Generator? generator = null;
        try
        {
            foreach (UnclipCondition condition in conditions)
            {
                Tensor embeds = condition.Output.ImageEmbeds.to_type(ScalarType.Float32).cpu();
                embeds = embeds.reshape(-1, embeds.shape[^1]);
                if (embeds.shape[1] != dim)
                {
                    throw new InvalidOperationException($"The CLIP vision encoding has {embeds.shape[1]}-wide image embeddings; this unCLIP model needs {dim} " +
                        (dim == 1024 ? "(ViT-H/14)." : dim == 768 ? "(ViT-L/14)." : dim == 1280 ? "(ViT-bigG/14)." : "."));
                }
                int level = NoiseLevel(condition.NoiseAugmentation);
                for (long row = 0; row < embeds.shape[0]; row++)
                {
                    generator?.Dispose();
                    generator = new Generator(seed, CPU);
                    Tensor augmented = Augment(embeds.narrow(0, row, 1), level, generator);
                    outputs.Add(cat([augmented, LevelEmbedding(level, dim)], 1).Mul(condition.Strength));
                }
            }
            if (outputs.Count == 0)
            {
                throw new InvalidOperationException("unCLIP conditioning holds no image embeddings.");
            }
            Tensor result = outputs[0];
            if (outputs.Count > 1)
            {
                Tensor sum = stack(outputs).sum(0L);
                int level = NoiseLevel(mergeAugmentation);
                result = cat([Augment(sum.narrow(1, 0, dim), level, generator!), LevelEmbedding(level, dim)], 1);
            }
            return result.MoveToOuterDisposeScope();
        }
        finally
        {
            generator?.Dispose();
        }
    }

    /// <summary>√ᾱ[level]·x + √(1−ᾱ[level])·n with n drawn from <paramref name="generator"/>.</summary>
    private static Tensor Augment(Tensor x, int level, Generator generator)
    {
        var (signal, noise) = Schedule.Value;
        Tensor n = randn(x.shape, ScalarType.Float32, CPU, generator: generator);
        return x.Mul((double)signal[level]).Add(n.Mul((double)noise[level]));
    }

    private static Tensor LevelEmbedding(int level, int dim)
    {
        using Tensor levels = tensor(new long[] { level });
        return UNetModel.TimestepEmbedding(levels, dim);
    }

    private static (float[] Signal, float[] Noise) BuildSchedule()
    {
        static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
        var signal = new float[MaxNoiseLevel];
        var noise = new float[MaxNoiseLevel];
        double cumulative = 1.0;
        for (int i = 0; i < MaxNoiseLevel; i++)
        {
            double beta = Math.Min(1 - (AlphaBar((i + 1) / (double)MaxNoiseLevel) / AlphaBar(i / (double)MaxNoiseLevel)), 0.999);
            cumulative *= 1.0 - beta;
            signal[i] = (float)Math.Sqrt(cumulative);
            noise[i] = (float)Math.Sqrt(1.0 - cumulative);
        }
        return (signal, noise);
    }
}
