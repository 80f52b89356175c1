using ComfySharp.Diffusion.Clip;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.UNet;
using ComfySharp.Diffusion.Vae;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Checkpoints;

/// <summary>The parts of a checkpoint: MODEL, CLIP and VAE (any of them may be absent).</summary>
public sealed class LoadedCheckpoint : IModelMemory
{
    /// <summary>Creates the result.</summary>
    public LoadedCheckpoint(DetectedModel detected, UNetModel? unet, ClipModel? clip, VaeModel? vae)
    {
        Detected = detected;
        UNet = unet;
        Clip = clip;
        Vae = vae;
        Model = unet is null ? null : new ModelPatcher(unet)
        {
            // A zero-terminal-SNR checkpoint (a ztsnr key) samples with the rescaled table, as the reference does.
            Sampling = detected.ZeroTerminalSnr ? new Sampling.ModelSamplingDiscrete(detected.Prediction, zeroTerminalSnr: true) : null,
        };
    }

    /// <summary>The detected architecture.</summary>
    public DetectedModel Detected { get; }

    /// <summary>The UNet.</summary>
    public UNetModel? UNet { get; }

    /// <summary>The MODEL value (the UNet without patches).</summary>
    public ModelPatcher? Model { get; }

    /// <summary>The CLIP value, or null when the checkpoint has no text encoder.</summary>
    public ClipModel? Clip { get; }

    /// <summary>The VAE value, or null when the checkpoint has none.</summary>
    public VaeModel? Vae { get; }

    /// <inheritdoc />
    public long WeightBytes => (UNet?.WeightBytes ?? 0) + (Vae?.WeightBytes ?? 0) + (Clip?.WeightBytes ?? 0);
}

/// <summary>
/// Builds networks from safetensors files: detect the architecture from the keys, build each module on
/// the CPU, copy the weights strictly (per component prefix), then move it to the compute device.
/// </summary>
public static class CheckpointLoading
{
    /// <summary>Loads a full checkpoint (UNet, text encoder, VAE) from <paramref name="path"/>.</summary>
    /// <exception cref="NotSupportedException">The checkpoint is not a recognised architecture.</exception>
    public static LoadedCheckpoint LoadCheckpoint(string path, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = SafeTensorsFile.Open(path);
        var shapes = Shapes(file);
        DetectedModel detected = ModelDetection.DetectUNet(shapes, ModelDetection.CheckpointUNetPrefix, k => file.Load(k))
            ?? throw new NotSupportedException($"'{Path.GetFileName(path)}' is not a supported checkpoint (SD1.x, SD2.x, SDXL base or refiner): its keys show " +
                ModelDetection.Describe(shapes, ModelDetection.CheckpointUNetPrefix) + ".");
        UNetModel unet = LoadUNet(file, detected, options);
        try
        {
            VaeModel? vae = file.KeysWithPrefix(ModelDetection.CheckpointVaePrefix).Any()
                ? LoadVae(file, ModelDetection.CheckpointVaePrefix, options)
                : null;
            try
            {
                ClipModel? clip = LoadCheckpointClip(file, detected.Family);
                return new LoadedCheckpoint(detected, unet, clip, vae);
            }
            catch
            {
                vae?.Dispose();
                throw;
            }
        }
        catch
        {
            unet.Dispose();
            throw;
        }
    }

    /// <summary>Loads a standalone diffusion model file (keys without <c>model.diffusion_model.</c>, or with it).</summary>
    public static UNetModel LoadDiffusionModel(string path, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = SafeTensorsFile.Open(path);
        var shapes = Shapes(file);
        DetectedModel detected = ModelDetection.DetectUNet(shapes, "", k => file.Load(k))
            ?? ModelDetection.DetectUNet(shapes, ModelDetection.CheckpointUNetPrefix, k => file.Load(k))
            ?? throw new NotSupportedException($"'{Path.GetFileName(path)}' is not a supported diffusion model (SD1.x, SD2.x, SDXL base or refiner UNet): its keys show " +
                ModelDetection.Describe(shapes, "") + ".");
        return LoadUNet(file, detected, options);
    }

    /// <summary>Loads a standalone VAE file (LDM key layout: <c>encoder.*</c>, <c>decoder.*</c>, ...).</summary>
    public static VaeModel LoadVaeFile(string path, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = SafeTensorsFile.Open(path);
        string prefix = file.Contains("encoder.conv_in.weight") ? ""
            : file.Contains(ModelDetection.CheckpointVaePrefix + "encoder.conv_in.weight") ? ModelDetection.CheckpointVaePrefix
            : throw new NotSupportedException($"'{Path.GetFileName(path)}' is not a VAE in the LDM key layout (no encoder.conv_in.weight).");
        return LoadVae(file, prefix, options);
    }

    /// <summary>The text encoder(s) of a checkpoint of <paramref name="family"/>, or null when the file has none.</summary>
    public static ClipModel? LoadCheckpointClip(SafeTensorsFile file, ModelFamily family)
    {
        ArgumentNullException.ThrowIfNull(file);
        bool Has(string prefix) => file.KeysWithPrefix(prefix).Any();
        return family switch
        {
            ModelFamily.Sd1 when Has(ClipModel.Sd1CheckpointPrefix) => ClipModel.FromCheckpoint(file, ClipModel.Sd1CheckpointPrefix),
            ModelFamily.Sd2 when Has(ClipModel.Sd2ClipHPrefix) => ClipModel.FromSd2Checkpoint(file),
            ModelFamily.Sdxl when Has(ClipModel.SdxlClipGPrefix) => ClipModel.FromSdxlCheckpoint(file),
            ModelFamily.SdxlRefiner when Has(ClipModel.SdxlRefinerClipGPrefix) => ClipModel.FromSdxlRefinerCheckpoint(file),
            _ => null,
        };
    }

    /// <summary>Builds and loads the UNet described by <paramref name="detected"/> from <paramref name="file"/>.</summary>
    public static UNetModel LoadUNet(SafeTensorsFile file, DetectedModel detected, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(detected);
        ArgumentNullException.ThrowIfNull(options);
        var unet = new UNetModel(detected.UNet, detected.Prediction, detected.LatentFormat);
        try
        {
            string prefix = detected.UNetPrefix;
            var keys = KeysUnder(file, prefix, ignoredPrefixes: []);
            if (prefix.Length == 0)
            {
                // A bare diffusion-model file may carry the reference's marker keys beside the weights.
                keys.RemoveAll(k => k is "v_pred" or "ztsnr");
            }
            StrictLoading.Load(unet, keys, k => file.Load(prefix + k), $"UNet of '{Path.GetFileName(file.FilePath)}'");
            unet.MoveTo(options.ResolveDevice(), options.ResolveUNetDtype());
            DetachFromScopes(unet);
            return unet;
        }
        catch
        {
            unet.Dispose();
            throw;
        }
    }

    /// <summary>Builds and loads the SD VAE whose keys start with <paramref name="prefix"/>.</summary>
    public static VaeModel LoadVae(SafeTensorsFile file, string prefix, ComputeOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(options);
        var network = new AutoencoderKL(AutoencoderConfig.Sd);
        try
        {
            // EMA statistics and training-loss weights ship in some VAE files; they are not part of the network.
            var keys = KeysUnder(file, prefix, ignoredPrefixes: ["model_ema.", "loss."]);
            StrictLoading.Load(network, keys, k => file.Load(prefix + k), $"VAE of '{Path.GetFileName(file.FilePath)}'");
            var vae = new VaeModel(network).MoveTo(options.ResolveDevice(), options.ResolveVaeDtype());
            DetachFromScopes(network);
            return vae;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Key → shape of every tensor in the file.</summary>
    public static Dictionary<string, long[]> Shapes(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.Tensors.ToDictionary(t => t.Key, t => t.Shape, StringComparer.Ordinal);
    }

    /// <summary>
    /// Loaded models outlive the node call (and its dispose scope) that created them: their tensors must
    /// belong to no scope, or the scope would free the weights of a cached model.
    /// </summary>
    public static void DetachFromScopes(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var parameter in module.parameters())
        {
            parameter.DetachFromDisposeScope();
        }
        foreach (var buffer in module.buffers())
        {
            buffer.DetachFromDisposeScope();
        }
    }

    private static List<string> KeysUnder(SafeTensorsFile file, string prefix, IReadOnlyList<string> ignoredPrefixes) =>
        file.KeysWithPrefix(prefix)
            .Select(k => k[prefix.Length..])
            .Where(k => !ignoredPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal)))
            .ToList();
}
