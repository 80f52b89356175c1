namespace ComfySharp.TestKit;

/// <summary>The UNet shape parameters that decide its keys (the reference's <c>unet_config</c>).</summary>
/// <param name="ChannelMult">Channel multiplier per level.</param>
/// <param name="TransformerDepth">Transformer blocks per level (0: none).</param>
/// <param name="MiddleDepth">Transformer blocks in the middle block.</param>
/// <param name="ContextDim">Cross-attention context width.</param>
/// <param name="LinearProjection">Linear proj_in/proj_out (SD2, SDXL) rather than 1x1 convolutions.</param>
/// <param name="AdmChannels">Width of the ADM vector <c>y</c> (label_emb), or 0 for none.</param>
/// <param name="InChannels">Latent channels in (9 for inpainting).</param>
public sealed record LdmUNetShape(long[] ChannelMult, int[] TransformerDepth, int MiddleDepth, long ContextDim, bool LinearProjection,
    long AdmChannels = 0, long InChannels = 4)
{
    /// <summary>SDXL base 1.0.</summary>
    public static LdmUNetShape SdxlBase { get; } = new([1, 2, 4], [0, 2, 10], 10, 2048, true, 2816);

    /// <summary>SD 2.x (512 base and 768-v share it).</summary>
    public static LdmUNetShape Sd2 { get; } = new([1, 2, 4, 4], [1, 1, 1, 0], 1, 1024, true);
}

/// <summary>
/// Key names and shapes of checkpoints in the original LDM/SGM layouts beyond SD1.5: an LDM UNet of any
/// <see cref="LdmUNetShape"/>, OpenCLIP text towers, and the SD1.5 VAE / CLIP-L parts under another prefix.
/// </summary>
public static class LdmKeyLayout
{
    /// <summary>The SDXL base checkpoint (2515 tensors, golden README §5).</summary>
    public static IReadOnlyList<Sd15TensorSpec> SdxlBase() =>
    [
        .. UNet("model.diffusion_model.", LdmUNetShape.SdxlBase),
        .. Reprefix(Sd15KeyLayout.VaePrefix, "first_stage_model."),
        .. Reprefix(Sd15KeyLayout.ClipPrefix, "conditioner.embedders.0.transformer.text_model."),
        .. OpenClipText("conditioner.embedders.1.model.", 1280, 32, 1280),
    ];

    /// <summary>An SD 2.x checkpoint (UNet, VAE, OpenCLIP ViT-H text tower of 24 layers).</summary>
    public static IReadOnlyList<Sd15TensorSpec> Sd2() =>
    [
        .. UNet("model.diffusion_model.", LdmUNetShape.Sd2),
        .. Reprefix(Sd15KeyLayout.VaePrefix, "first_stage_model."),
        .. OpenClipText("cond_stage_model.model.", 1024, 24, 1024),
    ];

    /// <summary>The SD1.5 tensors under <paramref name="from"/>, moved to <paramref name="to"/>.</summary>
    public static IEnumerable<Sd15TensorSpec> Reprefix(string from, string to) =>
        Sd15KeyLayout.All.Where(t => t.Key.StartsWith(from, StringComparison.Ordinal))
            .Select(t => t with { Key = to + t.Key[from.Length..] });

    /// <summary>An OpenCLIP text tower (token/positional embeddings, resblocks, ln_final, text_projection, logit_scale).</summary>
    public static List<Sd15TensorSpec> OpenClipText(string prefix, long width, int layers, long projection)
    {
        var list = new List<Sd15TensorSpec>();
        void Add(string key, params long[] shape) => list.Add(new Sd15TensorSpec(prefix + key, shape, false));
        Add("token_embedding.weight", 49408, width);
        Add("positional_embedding", 77, width);
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
        Add("ln_final.weight", width);
        Add("ln_final.bias", width);
        Add("text_projection", width, projection);
        Add("logit_scale");
        return list;
    }

    /// <summary>The keys of an LDM UNet of the given shape under <paramref name="u"/>.</summary>
    public static List<Sd15TensorSpec> UNet(string u, LdmUNetShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var list = new List<Sd15TensorSpec>();
        void Add(string key, params long[] s) => list.Add(new Sd15TensorSpec(key, s, false));
        void Linear(string p, long o, long i, bool bias = true)
        {
            Add(p + ".weight", o, i);
            if (bias) { Add(p + ".bias", o); }
        }
        void Conv(string p, long o, long i, long k)
        {
            Add(p + ".weight", o, i, k, k);
            Add(p + ".bias", o);
        }
        void Norm(string p, long c)
        {
            Add(p + ".weight", c);
            Add(p + ".bias", c);
        }
        void Res(string p, long i, long o)
        {
            Norm(p + "in_layers.0", i);
            Conv(p + "in_layers.2", o, i, 3);
            Linear(p + "emb_layers.1", o, 1280);
            Norm(p + "out_layers.0", o);
            Conv(p + "out_layers.3", o, o, 3);
            if (i != o) { Conv(p + "skip_connection", o, i, 1); }
        }
        void Transformer(string p, long ch, int depth)
        {
            Norm(p + "norm", ch);
            if (shape.LinearProjection) { Linear(p + "proj_in", ch, ch); } else { Conv(p + "proj_in", ch, ch, 1); }
            for (int d = 0; d < depth; d++)
            {
                string b = $"{p}transformer_blocks.{d}.";
                Linear(b + "attn1.to_q", ch, ch, false);
                Linear(b + "attn1.to_k", ch, ch, false);
                Linear(b + "attn1.to_v", ch, ch, false);
                Linear(b + "attn1.to_out.0", ch, ch);
                Linear(b + "attn2.to_q", ch, ch, false);
                Linear(b + "attn2.to_k", ch, shape.ContextDim, false);
                Linear(b + "attn2.to_v", ch, shape.ContextDim, false);
                Linear(b + "attn2.to_out.0", ch, ch);
                Linear(b + "ff.net.0.proj", ch * 8, ch);
                Linear(b + "ff.net.2", ch, ch * 4);
                Norm(b + "norm1", ch);
                Norm(b + "norm2", ch);
                Norm(b + "norm3", ch);
            }
            if (shape.LinearProjection) { Linear(p + "proj_out", ch, ch); } else { Conv(p + "proj_out", ch, ch, 1); }
        }
        Linear(u + "time_embed.0", 1280, 320);
        Linear(u + "time_embed.2", 1280, 1280);
        if (shape.AdmChannels > 0)
        {
            Linear(u + "label_emb.0.0", 1280, shape.AdmChannels);
            Linear(u + "label_emb.0.2", 1280, 1280);
        }
        Conv(u + "input_blocks.0.0", 320, shape.InChannels, 3);
        int levels = shape.ChannelMult.Length;
        var skipChannels = new Stack<long>();
        skipChannels.Push(320);
        long ch = 320;
        int block = 1;
        for (int level = 0; level < levels; level++)
        {
            for (int r = 0; r < 2; r++)
            {
                long outCh = 320 * shape.ChannelMult[level];
                Res($"{u}input_blocks.{block}.0.", ch, outCh);
                ch = outCh;
                if (shape.TransformerDepth[level] > 0) { Transformer($"{u}input_blocks.{block}.1.", ch, shape.TransformerDepth[level]); }
                skipChannels.Push(ch);
                block++;
            }
            if (level < levels - 1)
            {
                Conv($"{u}input_blocks.{block}.0.op", ch, ch, 3);
                skipChannels.Push(ch);
                block++;
            }
        }
        Res(u + "middle_block.0.", ch, ch);
        Transformer(u + "middle_block.1.", ch, shape.MiddleDepth);
        Res(u + "middle_block.2.", ch, ch);
        block = 0;
        for (int level = levels - 1; level >= 0; level--)
        {
            for (int r = 0; r < 3; r++)
            {
                long outCh = 320 * shape.ChannelMult[level];
                Res($"{u}output_blocks.{block}.0.", ch + skipChannels.Pop(), outCh);
                ch = outCh;
                int sub = 1;
                if (shape.TransformerDepth[level] > 0) { Transformer($"{u}output_blocks.{block}.{sub++}.", ch, shape.TransformerDepth[level]); }
                if (level > 0 && r == 2) { Conv($"{u}output_blocks.{block}.{sub}.conv", ch, ch, 3); }
                block++;
            }
        }
        Norm(u + "out.0", 320);
        Conv(u + "out.2", 4, 320, 3);
        return list;
    }
}
