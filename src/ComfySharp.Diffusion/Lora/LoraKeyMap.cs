using System.Text.RegularExpressions;

namespace ComfySharp.Diffusion.Lora;

/// <summary>
/// Maps the key styles LoRA files use (kohya <c>lora_unet_*</c>/<c>lora_te_*</c>, diffusers and
/// PEFT names, plain LDM names) to the parameter names of our modules.
/// </summary>
public static partial class LoraKeyMap
{
    private static readonly (string Clip, string Kohya)[] ClipLayers =
    [
        ("mlp.fc1", "mlp_fc1"), ("mlp.fc2", "mlp_fc2"),
        ("self_attn.k_proj", "self_attn_k_proj"), ("self_attn.q_proj", "self_attn_q_proj"),
        ("self_attn.v_proj", "self_attn_v_proj"), ("self_attn.out_proj", "self_attn_out_proj"),
    ];

    /// <summary>LoRA key prefix → UNet parameter name (module-relative, ending in <c>.weight</c>), for the given UNet parameter names.</summary>
    public static Dictionary<string, string> ForUNet(IEnumerable<string> parameterNames)
    {
        ArgumentNullException.ThrowIfNull(parameterNames);
        var names = parameterNames.ToList();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (name.EndsWith(".weight", StringComparison.Ordinal))
            {
                string baseName = name[..^".weight".Length];
                map["lora_unet_" + baseName.Replace('.', '_')] = name;
                map["diffusion_model." + baseName] = name;
            }
            else
            {
                map["diffusion_model." + name] = name;
            }
        }
        foreach (var (diffusers, ldm) in DiffusersNames(names))
        {
            if (!diffusers.EndsWith(".weight", StringComparison.Ordinal))
            {
                continue;
            }
            string baseName = diffusers[..^".weight".Length];
            map["lora_unet_" + baseName.Replace('.', '_')] = ldm;
            map["lycoris_" + baseName.Replace('.', '_')] = ldm;
            foreach (string prefix in new[] { "", "unet." })
            {
                string processor = prefix + baseName.Replace(".to_", ".processor.to_", StringComparison.Ordinal);
                if (processor.EndsWith(".to_out.0", StringComparison.Ordinal))
                {
                    processor = processor[..^2];
                }
                map[processor] = ldm;
                map.TryAdd(prefix + baseName, ldm);
            }
        }
        return map;
    }

    /// <summary>LoRA key prefix → text encoder parameter name, for the text encoder's parameter names.</summary>
    public static Dictionary<string, string> ForTextEncoder(IEnumerable<string> parameterNames)
    {
        ArgumentNullException.ThrowIfNull(parameterNames);
        var names = parameterNames.ToList();
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in names.Where(n => n.EndsWith(".weight", StringComparison.Ordinal)))
        {
            map["text_encoders." + name[..^".weight".Length]] = name;
            Match m = EncoderLayer().Match(name);
            if (!m.Success)
            {
                continue;
            }
            int layer = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            string component = m.Groups[2].Value;
            foreach (var (clip, kohya) in ClipLayers)
            {
                if (clip == component)
                {
                    map[$"lora_te_text_model_encoder_layers_{layer}_{kohya}"] = name;
                    map[$"lora_te1_text_model_encoder_layers_{layer}_{kohya}"] = name;
                    map[$"text_encoder.text_model.encoder.layers.{layer}.{clip}"] = name;
                }
            }
        }
        return map;
    }

    /// <summary>
    /// LoRA key prefix → patch key for one tower of a two-tower (SDXL) CLIP: tower 1 (CLIP-L) answers to
    /// <c>lora_te1_*</c> and <c>text_encoder.*</c>, tower 2 (bigG) to <c>lora_te2_*</c> and <c>text_encoder_2.*</c>;
    /// targets are prefixed with <paramref name="targetPrefix"/> (the tower's patch prefix, e.g. <c>clip_g.</c>).
    /// </summary>
    public static Dictionary<string, string> ForTextEncoderTower(IEnumerable<string> parameterNames, int tower, string targetPrefix)
    {
        ArgumentNullException.ThrowIfNull(parameterNames);
        ArgumentNullException.ThrowIfNull(targetPrefix);
        string kohya = tower == 1 ? "lora_te1_" : "lora_te2_";
        string diffusers = tower == 1 ? "text_encoder." : "text_encoder_2.";
        string comfy = "text_encoders." + targetPrefix;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in parameterNames.Where(n => n.EndsWith(".weight", StringComparison.Ordinal)))
        {
            string baseName = name[..^".weight".Length];
            string target = targetPrefix + name;
            map[comfy + "transformer.text_model." + baseName] = target;
            map[kohya + "text_model_" + baseName.Replace('.', '_')] = target;
            map[diffusers + "text_model." + baseName] = target;
            if (baseName == "text_projection")
            {
                map[diffusers + "text_projection"] = target;
            }
        }
        return map;
    }

    [GeneratedRegex(@"encoder\.layers\.(\d+)\.(mlp\.fc1|mlp\.fc2|self_attn\.k_proj|self_attn\.q_proj|self_attn\.v_proj|self_attn\.out_proj)\.weight$")]
    private static partial Regex EncoderLayer();

    /// <summary>Diffusers UNet names → our (LDM) names, derived from the LDM block structure.</summary>
    public static IEnumerable<(string Diffusers, string Ldm)> DiffusersNames(IReadOnlyCollection<string> ldmNames)
    {
        ArgumentNullException.ThrowIfNull(ldmNames);
        var blockMap = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["time_embed.0"] = "time_embedding.linear_1",
            ["time_embed.2"] = "time_embedding.linear_2",
            ["label_emb.0.0"] = "add_embedding.linear_1",
            ["label_emb.0.2"] = "add_embedding.linear_2",
            ["input_blocks.0.0"] = "conv_in",
            ["out.0"] = "conv_norm_out",
            ["out.2"] = "conv_out",
            ["middle_block.0"] = "mid_block.resnets.0",
            ["middle_block.1"] = "mid_block.attentions.0",
            ["middle_block.2"] = "mid_block.resnets.1",
        };
        int BlockCount(string prefix) => ldmNames
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => int.Parse(n[prefix.Length..].Split('.')[0], System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(-1).Max() + 1;
        bool Has(string prefix) => ldmNames.Any(n => n.StartsWith(prefix, StringComparison.Ordinal));

        int level = 0, index = 0, resnetsPerLevel = 0;
        bool firstLevel = true;
        for (int n = 1; n < BlockCount("input_blocks."); n++)
        {
            if (Has($"input_blocks.{n}.0.op."))
            {
                blockMap[$"input_blocks.{n}.0.op"] = $"down_blocks.{level}.downsamplers.0.conv";
                level++;
                index = 0;
                firstLevel = false;
                continue;
            }
            blockMap[$"input_blocks.{n}.0"] = $"down_blocks.{level}.resnets.{index}";
            if (Has($"input_blocks.{n}.1."))
            {
                blockMap[$"input_blocks.{n}.1"] = $"down_blocks.{level}.attentions.{index}";
            }
            index++;
            if (firstLevel)
            {
                resnetsPerLevel = index;
            }
        }
        int perUpLevel = resnetsPerLevel + 1;
        for (int n = 0; n < BlockCount("output_blocks."); n++)
        {
            int upLevel = n / perUpLevel, j = n % perUpLevel;
            blockMap[$"output_blocks.{n}.0"] = $"up_blocks.{upLevel}.resnets.{j}";
            for (int k = 1; k <= 2; k++)
            {
                if (Has($"output_blocks.{n}.{k}.conv."))
                {
                    blockMap[$"output_blocks.{n}.{k}.conv"] = $"up_blocks.{upLevel}.upsamplers.0.conv";
                }
                else if (Has($"output_blocks.{n}.{k}."))
                {
                    blockMap[$"output_blocks.{n}.{k}"] = $"up_blocks.{upLevel}.attentions.{j}";
                }
            }
        }
        (string From, string To)[] resnetParts =
        [
            ("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("emb_layers.1", "time_emb_proj"),
            ("out_layers.0", "norm2"), ("out_layers.3", "conv2"), ("skip_connection", "conv_shortcut"),
        ];
        foreach (string name in ldmNames)
        {
            string? bestBlock = blockMap.Keys.Where(b => name.StartsWith(b + ".", StringComparison.Ordinal)).OrderByDescending(b => b.Length).FirstOrDefault();
            if (bestBlock is null)
            {
                continue;
            }
            string rest = name[(bestBlock.Length + 1)..];
            string target = blockMap[bestBlock];
            if (target.Contains(".resnets.", StringComparison.Ordinal))
            {
                foreach (var (from, to) in resnetParts)
                {
                    if (rest.StartsWith(from + ".", StringComparison.Ordinal))
                    {
                        rest = to + rest[from.Length..];
                        break;
                    }
                }
            }
            yield return ($"{target}.{rest}", name);
        }
    }
}
