namespace ComfySharp.Diffusion.Checkpoints;

/// <summary>
/// Names the kind of model a set of <c>.safetensors</c> keys looks like, so a loader given the wrong
/// file can say what it found (a checkpoint given to the ControlNet loader, an unknown upscaler, ...).
/// </summary>
public static class ModelKeyKinds
{
    private static readonly (string Marker, string Kind)[] Markers =
    [
        ("model.diffusion_model.", "a Stable Diffusion checkpoint"),
        ("control_model.", "a ControlNet (original layout)"),
        ("controlnet_cond_embedding.", "a ControlNet (diffusers layout)"),
        ("input_hint_block.", "a ControlNet (original layout)"),
        ("encoder.conv_in.", "a VAE"),
        ("first_stage_model.", "a Stable Diffusion checkpoint"),
        ("lora_unet_", "a LoRA"),
        ("lora_te", "a LoRA"),
        ("vision_model.", "a CLIP vision model"),
        ("text_model.", "a CLIP text encoder"),
        ("layers.0.residual_group.", "SwinIR (not supported)"),
        ("conv_first.", "an ESRGAN-style upscaler"),
        ("body.0.", "a Real-ESRGAN-style upscaler"),
        ("model.0.", "an ESRGAN upscaler"),
    ];

    /// <summary>A short description: the recognised kind (if any) and a few of the keys.</summary>
    public static string Describe(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var list = keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (list.Count == 0)
        {
            return "nothing (the file holds no tensors)";
        }
        string? kind = Markers.FirstOrDefault(m => list.Any(k => k.StartsWith(m.Marker, StringComparison.Ordinal) || k.Contains("." + m.Marker, StringComparison.Ordinal))).Kind;
        string sample = string.Join(", ", list.Take(3)) + (list.Count > 3 ? $", ... ({list.Count} keys)" : "");
        return kind is null ? $"an unknown model [{sample}]" : $"{kind} [{sample}]";
    }
}
