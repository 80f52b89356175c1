using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>A guider that follows one conditioning without classifier-free guidance.</summary>
public sealed class BasicGuider : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>The conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Conditioning = new("conditioning", IOTypes.CONDITIONING);

    private static readonly NodeSchema Definition = CustomSampling.Schema("BasicGuider", CustomSampling.Guiders, [Model, Conditioning], IOTypes.GUIDER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return ValueTask.FromResult(NodeOutput.Of(new Guider(inputs.Get(Model), new BasicRule(inputs.Get(Conditioning)))));
    }
}
