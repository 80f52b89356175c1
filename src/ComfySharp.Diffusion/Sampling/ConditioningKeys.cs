namespace ComfySharp.Diffusion.Sampling;

/// <summary>Option keys of CONDITIONING entries that sampling understands (the reference's names).</summary>
public static class ConditioningKeys
{
    /// <summary>Pooled text embedding (Tensor).</summary>
    public const string PooledOutput = "pooled_output";
    /// <summary>Area: <c>long[] {height, width, y, x}</c> in latent units, or a <see cref="PercentageArea"/>.</summary>
    public const string Area = "area";
    /// <summary>Weight of an area entry (double).</summary>
    public const string Strength = "strength";
    /// <summary>Evaluate a masked entry only on the mask's bounding box (bool).</summary>
    public const string SetAreaToBounds = "set_area_to_bounds";
    /// <summary>Mask [B, H, W] or [H, W] (Tensor).</summary>
    public const string Mask = "mask";
    /// <summary>Multiplier of the mask (double).</summary>
    public const string MaskStrength = "mask_strength";
    /// <summary>Fraction of the schedule where the entry starts being used (double).</summary>
    public const string StartPercent = "start_percent";
    /// <summary>Fraction of the schedule where the entry stops being used (double).</summary>
    public const string EndPercent = "end_percent";
    /// <summary>Text embedding that ControlNets read instead of the entry's own (Tensor; CLIPTextEncodeControlnet).</summary>
    public const string CrossAttnControlNet = "cross_attn_controlnet";
    /// <summary>Pooled embedding stored with <see cref="CrossAttnControlNet"/> (Tensor).</summary>
    public const string PooledOutputControlNet = "pooled_output_controlnet";
}

/// <summary>An area given as fractions of the latent (ConditioningSetAreaPercentage).</summary>
/// <param name="Height">Height fraction.</param>
/// <param name="Width">Width fraction.</param>
/// <param name="Y">Top fraction.</param>
/// <param name="X">Left fraction.</param>
public sealed record PercentageArea(double Height, double Width, double Y, double X);
