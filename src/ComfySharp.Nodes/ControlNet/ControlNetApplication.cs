using ComfySharp.Diffusion;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;
using ComfySharp.Diffusion.ControlNet;
using ComfySharp.Torch.Images;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.ControlNet;

/// <summary>What the apply nodes share: hint checks and attaching a ControlNet to conditioning entries.</summary>
internal static class ControlNetApplication
{
    /// <summary>The hint as [B, C, H, W], checked against a ControlNet's hint channels.</summary>
    public static Tensor Hint(Tensor image, ControlNetValue controlNet)
    {
        ImageTensors.RequireImage(image);
        // T2I-Adapters take any image (one-channel adapters average the channels, as the reference's T2IAdapter does).
        if (controlNet.Network is not T2IAdapterModel && image.shape[3] != controlNet.Network.HintChannels)
        {
            throw new InvalidOperationException(
                $"This ControlNet takes hint images with {controlNet.Network.HintChannels} channels; the image has {image.shape[3]}.");
        }
        return image.permute(0, 3, 1, 2).contiguous().DetachFromDisposeScope();
    }

    /// <summary>
    /// Attaches the ControlNet to every entry, chained after the entry's own control; entries that had the same
    /// previous control share one new control, so positive and negative can be batched together.
    /// </summary>
    public static ConditioningValue Attach(ConditioningValue conditioning, Dictionary<object, AppliedControlNet> shared, Func<IControlProvider?, AppliedControlNet> create, bool applyToUncond)
    {
        var result = new ConditioningValue();
        foreach (ConditioningEntry entry in conditioning)
        {
            var previous = entry.Get(ControlHook.ControlKey) as IControlProvider;
            object key = previous ?? (object)NoPrevious;
            if (!shared.TryGetValue(key, out AppliedControlNet? control))
            {
                control = create(previous);
                shared[key] = control;
            }
            result.Add(entry.With(ControlHook.ControlKey, control).With(ControlHook.ApplyToUncondKey, applyToUncond));
        }
        return result;
    }

    private static readonly object NoPrevious = new();
}
