using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Layers;
using ComfySharp.Diffusion.Lora;
using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using ComfySharp.Torch.Models;
using ComfySharp.Torch.SafeTensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.ControlNet;

/// <summary>A file is not a ControlNet this server can build; the message names what the keys showed.</summary>
public sealed class UnsupportedControlNetException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedControlNetException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedControlNetException() { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedControlNetException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Loads ControlNets as the reference's <c>load_controlnet</c> recognises them: the original layout with or
/// without the <c>control_model.</c> prefix, the diffusers layout (<c>controlnet_cond_embedding</c>,
/// <c>controlnet_down_blocks</c>, <c>controlnet_mid_block</c>, UNet blocks renamed), and "difference"
/// ControlNets, whose weights are added to the given model's UNet weights.
/// </summary>
public static class ControlNetLoading
{
    private const string OriginalPrefix = "control_model.";
    private const string ZeroConvKey = "zero_convs.0.0.weight";
    private static readonly string[] UnionPrefixes = ["task_embedding", "transformer_layes.", "spatial_ch_projs.", "control_add_embedding."];

    /// <summary>
    /// Loads the control model in <paramref name="path"/>: a ControlNet (plain or union), a control-LoRA or a T2I-Adapter, as
    /// the reference's <c>load_controlnet_state_dict</c> tells them apart; <paramref name="baseModel"/> supplies the weights a
    /// difference ControlNet is relative to.
    /// </summary>
    public static IControlModel LoadFile(string path, ComputeOptions options, IDiffusionNetwork? baseModel = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var file = SafeTensorsFile.Open(path);
        string name = Path.GetFileName(path);
        var shapes = CheckpointLoading.Shapes(file);
        if (shapes.ContainsKey(ControlLora.MarkerKey))
        {
            var weights = shapes.Keys.Where(k => k != ControlLora.MarkerKey).ToDictionary(k => k, k => file.Load(k), StringComparer.Ordinal);
            return new ControlLora(weights, name);
        }
        Dictionary<string, string> rename;
        if (shapes.ContainsKey("controlnet_cond_embedding.conv_in.weight"))
        {
            rename = DiffusersRename(shapes, name);
        }
        else if (shapes.ContainsKey(OriginalPrefix + ZeroConvKey) || shapes.ContainsKey(ZeroConvKey))
        {
            string prefix = shapes.ContainsKey(OriginalPrefix + ZeroConvKey) ? OriginalPrefix : "";
            rename = shapes.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k != "difference")
                .ToDictionary(k => k, k => k[prefix.Length..], StringComparer.Ordinal);
        }
        else
        {
            return T2IAdapterLoading.TryLoad(file, shapes, name, options) ?? throw Unsupported(shapes, name);
        }
        var renamed = rename.ToDictionary(kv => kv.Value, kv => shapes[kv.Key], StringComparer.Ordinal);
        var config = UNetConfigFromKeys.Detect(renamed, "")
            ?? throw new UnsupportedControlNetException($"'{name}' has ControlNet keys but no UNet encoder this server recognises.");
        if (!renamed.TryGetValue("input_hint_block.0.weight", out long[]? hintConv))
        {
            throw new UnsupportedControlNetException($"'{name}' has no input_hint_block: this ControlNet variant is not supported.");
        }
        UnionConfig? union = renamed.TryGetValue("task_embedding", out long[]? task) && renamed.TryGetValue("control_add_embedding.linear_1.weight", out long[]? add)
            ? new UnionConfig((int)task[0], (int)task[1], (int)(add[1] / task[0]))
            : null;
        bool difference = shapes.ContainsKey("difference");
        if (difference && baseModel is null)
        {
            throw new UnsupportedControlNetException($"'{name}' is a difference ControlNet: load it with DiffControlNetLoader and the model it was trained from.");
        }
        var back = rename.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        var baseWeights = difference ? baseModel!.Module.state_dict() : null;
        return StrictLoading.LoadOrDispose(new ControlNetModel(config, (int)hintConv[1], union), back.Keys, key =>
        {
            Tensor weight = file.Load(back[key], ScalarType.Float32);
            if (baseWeights is not null && baseWeights.TryGetValue(key, out Tensor? original) && original.shape.SequenceEqual(weight.shape))
            {
                using (weight)
                {
                    return weight.Add(original.to(ScalarType.Float32, CPU));
                }
            }
            return weight;
        }, $"ControlNet '{name}'", n => n.MoveTo(options.ResolveDevice(), options.ResolveUNetDtype()));
    }

    private static UnsupportedControlNetException Unsupported(Dictionary<string, long[]> shapes, string name)
    {
        string kind = shapes.Keys.Any(k => k.StartsWith("backbone.", StringComparison.Ordinal)) ? "a Stable Cascade ControlNet (not supported)"
            : shapes.Keys.Any(k => k.StartsWith("controlnet_blocks.", StringComparison.Ordinal) || k.StartsWith("controlnet_x_embedder", StringComparison.Ordinal))
                ? "an SD3/Flux ControlNet (not supported)"
                : ModelKeyKinds.Describe(shapes.Keys);
        return new UnsupportedControlNetException($"'{name}' is not a ControlNet this server can load; its keys look like {kind}.");
    }

    private static Dictionary<string, string> DiffusersRename(Dictionary<string, long[]> shapes, string name)
    {
        // Derive our names by building the LDM encoder the diffusers blocks describe, then mapping each LDM name.
        var ldmShapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        void Fixed(string diffusers, string ldm)
        {
            foreach (string suffix in new[] { ".weight", ".bias" })
            {
                if (shapes.TryGetValue(diffusers + suffix, out long[]? shape))
                {
                    rename[diffusers + suffix] = ldm + suffix;
                    ldmShapes[ldm + suffix] = shape;
                }
            }
        }
        Fixed("controlnet_cond_embedding.conv_in", "input_hint_block.0");
        for (int i = 0; i < 6; i++)
        {
            Fixed($"controlnet_cond_embedding.blocks.{i}", $"input_hint_block.{2 * (i + 1)}");
        }
        Fixed("controlnet_cond_embedding.conv_out", "input_hint_block.14");
        Fixed("controlnet_mid_block", "middle_block_out.0");
        for (int i = 0; shapes.ContainsKey($"controlnet_down_blocks.{i}.weight"); i++)
        {
            Fixed($"controlnet_down_blocks.{i}", $"zero_convs.{i}.0");
        }
        var candidates = CandidateLdmNames(shapes);
        foreach (var (diffusers, ldm) in LoraKeyMap.DiffusersNames(candidates))
        {
            if (shapes.ContainsKey(diffusers) && !rename.ContainsKey(diffusers))
            {
                rename[diffusers] = ldm;
            }
        }
        if (shapes.ContainsKey("control_add_embedding.linear_1.bias"))
        {
            // Union ControlNets keep their extra parts' names; the packed attention projection becomes a module.
            foreach (string key in shapes.Keys.Where(k => !rename.ContainsKey(k) && UnionPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))))
            {
                rename[key] = key.Replace(".attn.in_proj_", ".attn.in_proj.", StringComparison.Ordinal);
            }
        }
        var unmapped = shapes.Keys.Where(k => !rename.ContainsKey(k)).ToList();
        if (unmapped.Count > 0)
        {
            throw new UnsupportedControlNetException(
                $"'{name}' is a diffusers ControlNet with keys this server cannot place: {string.Join(", ", unmapped.Take(5))}{(unmapped.Count > 5 ? ", ..." : "")}.");
        }
        return rename;
    }

    /// <summary>
    /// Every LDM encoder name the diffusers keys could stand for: the diffusers down blocks are walked to number
    /// the LDM input blocks (resnets, attentions, then a downsampler per level), and each diffusers suffix is kept.
    /// </summary>
    private static List<string> CandidateLdmNames(Dictionary<string, long[]> shapes)
    {
        var names = new List<string>();
        string[] resnetParts = ["in_layers.0", "in_layers.2", "emb_layers.1", "out_layers.0", "out_layers.3", "skip_connection"];
        string[] resnetDiffusers = ["norm1", "conv1", "time_emb_proj", "norm2", "conv2", "conv_shortcut"];
        void ResNet(string ldm, string diffusers)
        {
            for (int p = 0; p < resnetParts.Length; p++)
            {
                foreach (string suffix in new[] { "weight", "bias" })
                {
                    if (shapes.ContainsKey($"{diffusers}.{resnetDiffusers[p]}.{suffix}"))
                    {
                        names.Add($"{ldm}.{resnetParts[p]}.{suffix}");
                    }
                }
            }
        }
        void Attention(string ldm, string diffusers)
        {
            foreach (string key in shapes.Keys.Where(k => k.StartsWith(diffusers + ".", StringComparison.Ordinal)))
            {
                names.Add(ldm + key[diffusers.Length..]);
            }
        }
        foreach (string part in new[] { "time_embed.0", "time_embed.2", "label_emb.0.0", "label_emb.0.2", "input_blocks.0.0" })
        {
            names.Add(part + ".weight");
            names.Add(part + ".bias");
        }
        int n = 1;
        for (int level = 0; shapes.Keys.Any(k => k.StartsWith($"down_blocks.{level}.", StringComparison.Ordinal)); level++)
        {
            for (int r = 0; shapes.Keys.Any(k => k.StartsWith($"down_blocks.{level}.resnets.{r}.", StringComparison.Ordinal)); r++, n++)
            {
                ResNet($"input_blocks.{n}.0", $"down_blocks.{level}.resnets.{r}");
                Attention($"input_blocks.{n}.1", $"down_blocks.{level}.attentions.{r}");
            }
            if (shapes.ContainsKey($"down_blocks.{level}.downsamplers.0.conv.weight"))
            {
                names.Add($"input_blocks.{n}.0.op.weight");
                names.Add($"input_blocks.{n}.0.op.bias");
                n++;
            }
        }
        ResNet("middle_block.0", "mid_block.resnets.0");
        Attention("middle_block.1", "mid_block.attentions.0");
        ResNet("middle_block.2", "mid_block.resnets.1");
        return names;
    }
}
