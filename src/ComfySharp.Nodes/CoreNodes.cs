using ComfySharp.Abstractions;

namespace ComfySharp.Nodes;

/// <summary>The built-in nodes of ComfySharp. Each category registers its own nodes explicitly.</summary>
public sealed class CoreNodes : INodePack
{
    /// <inheritdoc />
    public void Register(NodeRegistry registry)
    {
        Image.ImageNodes.Register(registry);
        Mask.MaskNodes.Register(registry);
        Latent.LatentNodes.Register(registry);
        Loaders.LoaderNodes.Register(registry);
        Conditioning.ConditioningNodes.Register(registry);
        Sampling.SamplingNodes.Register(registry);
        Vae.VaeNodes.Register(registry);
        Clip.ClipNodes.Register(registry);
        Lora.LoraNodes.Register(registry);
        ModelSampling.ModelSamplingNodes.Register(registry);
        Sampling.Custom.CustomSamplingNodes.Register(registry);
        ModelMerging.ModelMergingNodes.Register(registry);
        Upscaling.UpscalingNodes.Register(registry);
        ControlNet.ControlNetNodes.Register(registry);
        ClipVision.ClipVisionNodes.Register(registry);
        StyleModel.StyleModelNodes.Register(registry);
        Gligen.GligenNodes.Register(registry);
        Primitives.PrimitiveNodes.Register(registry);
        ModelPatches.ModelPatchNodes.Register(registry);
        Strings.StringNodes.Register(registry);
        Logic.LogicNodes.Register(registry);
        Hooks.HookNodes.Register(registry);
    }
}
