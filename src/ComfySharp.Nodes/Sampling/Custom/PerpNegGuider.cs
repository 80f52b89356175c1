using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Guidance whose negative direction keeps only its part perpendicular to the positive one (relative to an empty prompt).</summary>
public sealed class PerpNegGuider : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>Positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Positive = new("positive", IOTypes.CONDITIONING);
    /// <summary>Negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = new("negative", IOTypes.CONDITIONING);
    /// <summary>The empty prompt's conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> EmptyConditioning = new("empty_conditioning", IOTypes.CONDITIONING);
    /// <summary>Guidance scale.</summary>
    public static readonly FloatInput Cfg = new("cfg") { Default = 8.0, Min = 0.0, Max = 100.0, Step = 0.1, Round = 0.01 };
    /// <summary>Weight of the perpendicular negative direction.</summary>
    public static readonly FloatInput NegScale = new("neg_scale") { Default = 1.0, Min = 0.0, Max = 100.0, Step = 0.01 };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "PerpNegGuider",
        Category = "_for_testing",
        PythonModule = "comfy_extras.nodes_perpneg",
        Flavor = NodeFlavor.Schema,
        Experimental = true,
        Required = [Model, Positive, Negative, EmptyConditioning, Cfg, NegScale],
        Outputs = [new OutputSpec(IOTypes.GUIDER)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var rule = new PerpNegRule(inputs.Get(Positive), inputs.Get(Negative), inputs.Get(EmptyConditioning), inputs.Get(Cfg), inputs.Get(NegScale));
        return ValueTask.FromResult(NodeOutput.Of(new Guider(inputs.Get(Model), rule)));
    }
}
