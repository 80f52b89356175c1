using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Classifier-free guidance between a positive and a negative conditioning, as KSampler guides.</summary>
public sealed class CFGGuider : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>Positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = new("positive", IOTypes.CONDITIONING);
    /// <summary>Negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = new("negative", IOTypes.CONDITIONING);
    /// <summary>Guidance scale.</summary>
    public static readonly FloatInput Cfg = new("cfg") { Default = 8.0, Min = 0.0, Max = 100.0, Step = 0.1, Round = 0.01 };

    private static readonly NodeSchema Definition = CustomSampling.Schema("CFGGuider", CustomSampling.Guiders, [Model, Positive, Negative, Cfg], IOTypes.GUIDER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var rule = new CfgRule(inputs.Get(Positive), inputs.Get(Negative), inputs.Get(Cfg));
        return ValueTask.FromResult(NodeOutput.Of(new Guider(inputs.Get(Model), rule)));
    }
}
