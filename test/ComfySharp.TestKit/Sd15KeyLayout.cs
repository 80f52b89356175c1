namespace ComfySharp.TestKit;

/// <summary>How a tensor of the random checkpoint is filled (golden README §1).</summary>
public enum Sd15ValueRule
{
    /// <summary>SplitMix64 values k / 32768 seeded by the key's FNV-1a hash.</summary>
    Random,
    /// <summary>All zeros (biases).</summary>
    Zero,
    /// <summary>All ones (normalisation scales).</summary>
    One,
    /// <summary>0, 1, ..., 76 as int64.</summary>
    PositionIds,
}

/// <summary>One tensor of the SD1.5 checkpoint layout.</summary>
/// <param name="Key">Checkpoint key.</param>
/// <param name="Shape">Shape.</param>
/// <param name="IsInt64">True for the position-id tensor (I64), false for fp16 tensors.</param>
public sealed record Sd15TensorSpec(string Key, long[] Shape, bool IsInt64)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The value rule of this tensor.</summary>
    public Sd15ValueRule Rule =>
        IsInt64 ? Sd15ValueRule.PositionIds
        : Key.EndsWith(".bias", StringComparison.Ordinal) ? Sd15ValueRule.Zero
        : Key.EndsWith(".weight", StringComparison.Ordinal) && Shape.Length == 1 ? Sd15ValueRule.One
        : Sd15ValueRule.Random;
}

/// <summary>The key names and shapes of an SD1.5 checkpoint in the original LDM layout (1131 tensors).</summary>
public static class Sd15KeyLayout
{
    /// <summary>Prefix of the CLIP-L text encoder keys.</summary>
    public const string ClipPrefix = "cond_stage_model.transformer.text_model.";

    /// <summary>Prefix of the UNet keys.</summary>
    public const string UNetPrefix = "model.diffusion_model.";

    /// <summary>Prefix of the VAE keys.</summary>
    public const string VaePrefix = "first_stage_model.";

    /// <summary>All tensors in an unspecified order.</summary>
    public static IReadOnlyList<Sd15TensorSpec> All { get; } = Build();

    private static List<Sd15TensorSpec> Build()
    {
        var list = new List<Sd15TensorSpec>();
        void Add(string key, params long[] shape) => list.Add(new Sd15TensorSpec(key, shape, false));
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

        // CLIP ViT-L/14 text model.
        const string c = ClipPrefix;
        list.Add(new Sd15TensorSpec(c + "embeddings.position_ids", [1, 77], true));
        Add(c + "embeddings.token_embedding.weight", 49408, 768);
        Add(c + "embeddings.position_embedding.weight", 77, 768);
        for (int l = 0; l < 12; l++)
        {
            string p = $"{c}encoder.layers.{l}.";
            foreach (string proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                Linear(p + "self_attn." + proj, 768, 768);
            }
            Norm(p + "layer_norm1", 768);
            Norm(p + "layer_norm2", 768);
            Linear(p + "mlp.fc1", 3072, 768);
            Linear(p + "mlp.fc2", 768, 3072);
        }
        Norm(c + "final_layer_norm", 768);

        // UNet.
        const string u = UNetPrefix;
        void Res(string p, long i, long o)
        {
            Norm(p + "in_layers.0", i);
            Conv(p + "in_layers.2", o, i, 3);
            Linear(p + "emb_layers.1", o, 1280);
            Norm(p + "out_layers.0", o);
            Conv(p + "out_layers.3", o, o, 3);
            if (i != o) { Conv(p + "skip_connection", o, i, 1); }
        }
        void Transformer(string p, long ch)
        {
            Norm(p + "norm", ch);
            Conv(p + "proj_in", ch, ch, 1);
            string b = p + "transformer_blocks.0.";
            Linear(b + "attn1.to_q", ch, ch, false);
            Linear(b + "attn1.to_k", ch, ch, false);
            Linear(b + "attn1.to_v", ch, ch, false);
            Linear(b + "attn1.to_out.0", ch, ch);
            Linear(b + "attn2.to_q", ch, ch, false);
            Linear(b + "attn2.to_k", ch, 768, false);
            Linear(b + "attn2.to_v", ch, 768, false);
            Linear(b + "attn2.to_out.0", ch, ch);
            Linear(b + "ff.net.0.proj", ch * 8, ch);
            Linear(b + "ff.net.2", ch, ch * 4);
            Norm(b + "norm1", ch);
            Norm(b + "norm2", ch);
            Norm(b + "norm3", ch);
            Conv(p + "proj_out", ch, ch, 1);
        }
        Linear(u + "time_embed.0", 1280, 320);
        Linear(u + "time_embed.2", 1280, 1280);
        Conv(u + "input_blocks.0.0", 320, 4, 3);
        long[] mult = [1, 2, 4, 4];
        var skipChannels = new Stack<long>();
        skipChannels.Push(320);
        long ch = 320;
        int block = 1;
        for (int level = 0; level < 4; level++)
        {
            for (int r = 0; r < 2; r++)
            {
                long outCh = 320 * mult[level];
                Res($"{u}input_blocks.{block}.0.", ch, outCh);
                ch = outCh;
                if (level < 3) { Transformer($"{u}input_blocks.{block}.1.", ch); }
                skipChannels.Push(ch);
                block++;
            }
            if (level < 3)
            {
                Conv($"{u}input_blocks.{block}.0.op", ch, ch, 3);
                skipChannels.Push(ch);
                block++;
            }
        }
        Res(u + "middle_block.0.", 1280, 1280);
        Transformer(u + "middle_block.1.", 1280);
        Res(u + "middle_block.2.", 1280, 1280);
        block = 0;
        for (int level = 3; level >= 0; level--)
        {
            for (int r = 0; r < 3; r++)
            {
                long outCh = 320 * mult[level];
                Res($"{u}output_blocks.{block}.0.", ch + skipChannels.Pop(), outCh);
                ch = outCh;
                int sub = 1;
                if (level < 3) { Transformer($"{u}output_blocks.{block}.{sub++}.", ch); }
                if (level > 0 && r == 2) { Conv($"{u}output_blocks.{block}.{sub}.conv", ch, ch, 3); }
                block++;
            }
        }
        Norm(u + "out.0", 320);
        Conv(u + "out.2", 4, 320, 3);

        // VAE.
        const string v = VaePrefix;
        void VaeRes(string p, long i, long o)
        {
            Norm(p + "norm1", i);
            Conv(p + "conv1", o, i, 3);
            Norm(p + "norm2", o);
            Conv(p + "conv2", o, o, 3);
            if (i != o) { Conv(p + "nin_shortcut", o, i, 1); }
        }
        void VaeMid(string p)
        {
            VaeRes(p + "mid.block_1.", 512, 512);
            Norm(p + "mid.attn_1.norm", 512);
            foreach (string n in new[] { "q", "k", "v", "proj_out" }) { Conv(p + "mid.attn_1." + n, 512, 512, 1); }
            VaeRes(p + "mid.block_2.", 512, 512);
        }
        Conv(v + "encoder.conv_in", 128, 3, 3);
        long vc = 128;
        for (int level = 0; level < 4; level++)
        {
            long outCh = 128 * mult[level];
            for (int r = 0; r < 2; r++)
            {
                VaeRes($"{v}encoder.down.{level}.block.{r}.", vc, outCh);
                vc = outCh;
            }
            if (level < 3) { Conv($"{v}encoder.down.{level}.downsample.conv", vc, vc, 3); }
        }
        VaeMid(v + "encoder.");
        Norm(v + "encoder.norm_out", 512);
        Conv(v + "encoder.conv_out", 8, 512, 3);
        Conv(v + "quant_conv", 8, 8, 1);
        Conv(v + "post_quant_conv", 4, 4, 1);
        Conv(v + "decoder.conv_in", 512, 4, 3);
        VaeMid(v + "decoder.");
        vc = 512;
        for (int level = 3; level >= 0; level--)
        {
            long outCh = 128 * mult[level];
            for (int r = 0; r < 3; r++)
            {
                VaeRes($"{v}decoder.up.{level}.block.{r}.", vc, outCh);
                vc = outCh;
            }
            if (level > 0) { Conv($"{v}decoder.up.{level}.upsample.conv", vc, vc, 3); }
        }
        Norm(v + "decoder.norm_out", 128);
        Conv(v + "decoder.conv_out", 3, 128, 3);
        return list;
    }
}
