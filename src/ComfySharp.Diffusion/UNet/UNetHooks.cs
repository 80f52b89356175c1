using ComfySharp.Diffusion.Models;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.UNet;

/// <summary>Where the UNet calls the hooks of <see cref="UNetHookContext"/>; every method is a no-op without hooks.</summary>
internal static class UNetHooks
{
    /// <summary>Records the block about to run.</summary>
    public static void Enter(UNetHookContext? hooks, string kind, int index)
    {
        if (hooks is not null)
        {
            hooks.Block = new UNetBlock(kind, index);
            hooks.TransformerIndex = 0;
        }
    }

    /// <summary>Input block patches, before the output is kept for the skip connection.</summary>
    public static Tensor AfterInputBlock(UNetHookContext? hooks, Tensor h)
    {
        if (hooks is not null)
        {
            foreach (InputBlockPatch patch in hooks.Options.InputBlockPatches)
            {
                h = patch(h, hooks);
            }
        }
        return h;
    }

    /// <summary>Input block patches after the skip connection was kept.</summary>
    public static Tensor AfterSkip(UNetHookContext? hooks, Tensor h)
    {
        if (hooks is not null)
        {
            foreach (InputBlockPatch patch in hooks.Options.InputBlockPatchesAfterSkip)
            {
                h = patch(h, hooks);
            }
        }
        return h;
    }

    /// <summary>Output block patches on the hidden state and its skip connection.</summary>
    public static (Tensor H, Tensor Skip) BeforeOutputBlock(UNetHookContext? hooks, Tensor h, Tensor skip)
    {
        if (hooks is not null)
        {
            foreach (OutputBlockPatch patch in hooks.Options.OutputBlockPatches)
            {
                (h, skip) = patch(h, skip, hooks);
            }
        }
        return (h, skip);
    }

    /// <summary>A self-attention with the input patches, a replacement if one targets this site, and the output patches.</summary>
    public static Tensor SelfAttention(CrossAttention attention, Tensor normed, UNetHookContext hooks)
    {
        ModelOptions options = hooks.Options;
        hooks.Heads = attention.Heads;
        Tensor query = normed, key = normed, value = normed;
        foreach (AttentionInputPatch patch in options.SelfAttentionPatches)
        {
            (query, key, value) = patch(query, key, value, hooks);
        }
        Tensor output = options.ReplacementFor(hooks.Block, hooks.TransformerIndex) is { } replacement
            ? attention.AttendReplaced(query, key, value, replacement, hooks)
            : attention.Attend(query, key, value);
        foreach (AttentionOutputPatch patch in options.SelfAttentionOutputPatches)
        {
            output = patch(output, hooks);
        }
        return output;
    }

    /// <summary>A cross-attention with its input patches applied to the hidden states and the context.</summary>
    public static Tensor CrossAttention(CrossAttention attention, Tensor normed, Tensor context, UNetHookContext hooks)
    {
        hooks.Heads = attention.Heads;
        Tensor query = normed, key = context, value = context;
        foreach (AttentionInputPatch patch in hooks.Options.CrossAttentionPatches)
        {
            (query, key, value) = patch(query, key, value, hooks);
        }
        return attention.Attend(query, key, value);
    }
}
