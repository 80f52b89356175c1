using ComfySharp.Diffusion.Lora;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Diffusion.Tests.Sdxl;

/// <summary>SDXL LoRA key styles (kohya <c>lora_unet_</c>/<c>lora_te1_</c>/<c>lora_te2_</c>, diffusers) reach the SDXL model's weights.</summary>
public sealed class SdxlLoraKeyMapTests
{
    private const string UNetPrefix = "model.diffusion_model.";

    private static List<string> UNetNames() => [.. RandomSdxlCheckpoint.Checkpoint.Tensors
        .Where(t => t.Key.StartsWith(UNetPrefix, StringComparison.Ordinal)).Select(t => t.Key[UNetPrefix.Length..])];

    [Theory]
    [InlineData("lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k", "input_blocks.4.1.transformer_blocks.1.attn2.to_k.weight")]
    [InlineData("lora_unet_output_blocks_2_1_transformer_blocks_9_ff_net_2", "output_blocks.2.1.transformer_blocks.9.ff.net.2.weight")]
    [InlineData("lora_unet_down_blocks_2_attentions_1_transformer_blocks_9_attn1_to_q", "input_blocks.8.1.transformer_blocks.9.attn1.to_q.weight")]
    [InlineData("lora_unet_mid_block_attentions_0_proj_in", "middle_block.1.proj_in.weight")]
    [InlineData("lora_unet_up_blocks_0_attentions_2_proj_out", "output_blocks.2.1.proj_out.weight")]
    [InlineData("lora_unet_add_embedding_linear_1", "label_emb.0.0.weight")]
    [InlineData("unet.up_blocks.1.attentions.0.transformer_blocks.1.attn2.processor.to_v", "output_blocks.3.1.transformer_blocks.1.attn2.to_v.weight")]
    public void UNet_keys_reach_the_sdxl_parameters(string loraKey, string parameter)
    {
        var map = LoraKeyMap.ForUNet(UNetNames());
        Assert.True(map.TryGetValue(loraKey, out string? target), loraKey);
        Assert.Equal(parameter, target);
    }

    [Fact]
    public void Text_encoder_keys_reach_their_tower()
    {
        string[] names = ["encoder.layers.3.self_attn.q_proj.weight", "encoder.layers.30.mlp.fc2.weight", "text_projection.weight"];
        var l = LoraKeyMap.ForTextEncoderTower(names, 1, "clip_l.");
        var g = LoraKeyMap.ForTextEncoderTower(names, 2, "clip_g.");
        Assert.Equal("clip_l.encoder.layers.3.self_attn.q_proj.weight", l["lora_te1_text_model_encoder_layers_3_self_attn_q_proj"]);
        Assert.Equal("clip_l.encoder.layers.3.self_attn.q_proj.weight", l["text_encoder.text_model.encoder.layers.3.self_attn.q_proj"]);
        Assert.Equal("clip_g.encoder.layers.30.mlp.fc2.weight", g["lora_te2_text_model_encoder_layers_30_mlp_fc2"]);
        Assert.Equal("clip_g.encoder.layers.30.mlp.fc2.weight", g["text_encoder_2.text_model.encoder.layers.30.mlp.fc2"]);
        Assert.Equal("clip_g.text_projection.weight", g["text_encoder_2.text_projection"]);
        Assert.False(l.ContainsKey("lora_te2_text_model_encoder_layers_3_self_attn_q_proj"));
        Assert.False(g.ContainsKey("lora_te1_text_model_encoder_layers_3_self_attn_q_proj"));
    }

    [Fact]
    public void An_sdxl_lora_reaches_keys_an_sd15_unet_lacks()
    {
        var sd15 = LoraKeyMap.ForUNet([.. RandomSd15Checkpoint.Tensors.Where(t => t.Key.StartsWith(UNetPrefix, StringComparison.Ordinal)).Select(t => t.Key[UNetPrefix.Length..])]);
        Assert.False(sd15.ContainsKey("lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k"));
        Assert.False(sd15.ContainsKey("lora_unet_add_embedding_linear_1"));
    }
}
