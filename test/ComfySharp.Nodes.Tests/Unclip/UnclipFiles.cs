using ComfySharp.Diffusion.ClipVision;
using ComfySharp.TestKit;

namespace ComfySharp.Nodes.Tests.Unclip;

/// <summary>Random-weight SD 2.1 unCLIP checkpoints in the published key layout, shrunk where detection allows.</summary>
internal static class UnclipFiles
{
    /// <summary>The open_clip visual tower's width, layers and image size used by the tests (28 px: 4 patches of 14).</summary>
    public const int VisionWidth = 64;
    public const int VisionLayers = 2;
    public const int ImageSize = 28;

    /// <summary>
    /// An unCLIP-H checkpoint: an SD 2.x UNet with one level (320 channels, attention in the middle only, context 1024,
    /// label_emb 2048) and an open_clip visual tower under <c>embedder.model.visual.</c> projecting to 1024.
    /// No text encoder or VAE: the loader returns null for them, as the reference does.
    /// </summary>
    public static RandomCheckpointFile Checkpoint(string name, long admChannels = 2048) =>
        new(name, [
            .. LdmKeyLayout.UNet("model.diffusion_model.", new LdmUNetShape([1], [0], 1, 1024, true, admChannels)),
            .. OpenClipVisual(ClipVisionCheckpointLoading.UnclipPrefix, VisionWidth, VisionLayers, ImageSize / 14 * (ImageSize / 14) + 1, admChannels / 2),
        ]);

    /// <summary>An open_clip visual tower (class/positional embeddings, conv1, ln_pre, resblocks, ln_post, proj).</summary>
    public static List<Sd15TensorSpec> OpenClipVisual(string prefix, long width, int layers, long positions, long projection)
    {
        var list = new List<Sd15TensorSpec>();
        void Add(string key, params long[] shape) => list.Add(new Sd15TensorSpec(prefix + key, shape, false));
        Add("class_embedding", width);
        Add("conv1.weight", width, 3, 14, 14);
        Add("positional_embedding", positions, width);
        Add("ln_pre.weight", width);
        Add("ln_pre.bias", width);
        for (int l = 0; l < layers; l++)
        {
            string p = $"transformer.resblocks.{l}.";
            Add(p + "ln_1.weight", width);
            Add(p + "ln_1.bias", width);
            Add(p + "attn.in_proj_weight", 3 * width, width);
            Add(p + "attn.in_proj_bias", 3 * width);
            Add(p + "attn.out_proj.weight", width, width);
            Add(p + "attn.out_proj.bias", width);
            Add(p + "ln_2.weight", width);
            Add(p + "ln_2.bias", width);
            Add(p + "mlp.c_fc.weight", 4 * width, width);
            Add(p + "mlp.c_fc.bias", 4 * width);
            Add(p + "mlp.c_proj.weight", width, 4 * width);
            Add(p + "mlp.c_proj.bias", width);
        }
        Add("ln_post.weight", width);
        Add("ln_post.bias", width);
        Add("proj", width, projection);
        return list;
    }
}
