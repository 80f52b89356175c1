using ComfySharp.Diffusion.Lora;
using ComfySharp.TestKit;
using Xunit;

namespace ComfySharp.Diffusion.Tests.Sampling;

public sealed class LoraKeyMapTests
{
    private static List<string> UNetNames() => File.ReadLines(Path.Combine(TestPaths.Shared, "golden", "key_list.tsv"))
        .Skip(1)
        .Select(l => l.Split('\t')[1])
        .Where(k => k.StartsWith("model.diffusion_model.", StringComparison.Ordinal))
        .Select(k => k["model.diffusion_model.".Length..])
        .ToList();

    [Theory]
    [InlineData("lora_unet_input_blocks_1_1_proj_in", "input_blocks.1.1.proj_in.weight")]
    [InlineData("lora_unet_down_blocks_0_attentions_0_proj_in", "input_blocks.1.1.proj_in.weight")]
    [InlineData("lora_unet_down_blocks_1_resnets_0_conv_shortcut", "input_blocks.4.0.skip_connection.weight")]
    [InlineData("lora_unet_down_blocks_0_downsamplers_0_conv", "input_blocks.3.0.op.weight")]
    [InlineData("lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k", "middle_block.1.transformer_blocks.0.attn2.to_k.weight")]
    [InlineData("lora_unet_up_blocks_1_attentions_2_transformer_blocks_0_ff_net_2", "output_blocks.5.1.transformer_blocks.0.ff.net.2.weight")]
    [InlineData("lora_unet_up_blocks_0_upsamplers_0_conv", "output_blocks.2.1.conv.weight")]
    [InlineData("lora_unet_up_blocks_1_upsamplers_0_conv", "output_blocks.5.2.conv.weight")]
    [InlineData("lora_unet_up_blocks_3_resnets_2_time_emb_proj", "output_blocks.11.0.emb_layers.1.weight")]
    [InlineData("unet.up_blocks.3.attentions.2.transformer_blocks.0.attn1.processor.to_out", "output_blocks.11.1.transformer_blocks.0.attn1.to_out.0.weight")]
    [InlineData("lora_unet_time_embedding_linear_1", "time_embed.0.weight")]
    public void UNet_keys_of_every_style_reach_the_ldm_parameter(string loraKey, string parameter)
    {
        var map = LoraKeyMap.ForUNet(UNetNames());
        Assert.True(map.TryGetValue(loraKey, out string? target), loraKey);
        Assert.Equal(parameter, target);
    }

    [Fact]
    public void Text_encoder_keys_reach_the_clip_parameters()
    {
        var map = LoraKeyMap.ForTextEncoder(["text_model.encoder.layers.3.self_attn.q_proj.weight", "text_model.encoder.layers.3.mlp.fc2.weight"]);
        Assert.Equal("text_model.encoder.layers.3.self_attn.q_proj.weight", map["lora_te_text_model_encoder_layers_3_self_attn_q_proj"]);
        Assert.Equal("text_model.encoder.layers.3.mlp.fc2.weight", map["text_encoder.text_model.encoder.layers.3.mlp.fc2"]);
        Assert.Equal("text_model.encoder.layers.3.mlp.fc2.weight", map["lora_te1_text_model_encoder_layers_3_mlp_fc2"]);
    }
}
