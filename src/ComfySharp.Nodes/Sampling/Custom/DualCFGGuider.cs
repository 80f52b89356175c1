using ComfySharp.Abstractions;
using ComfySharp.Diffusion.Models;
using ComfySharp.Diffusion.Sampling;
using ConditioningValue = ComfySharp.Diffusion.Conditioning;

namespace ComfySharp.Nodes.Sampling.Custom;

/// <summary>Guidance with two positive conditionings: cond2 against the negative, cond1 against cond2.</summary>
public sealed class DualCFGGuider : ComfyNode
{
    /// <summary>The model.</summary>
    public static readonly SocketInput<ModelPatcher> Model = CustomSampling.Model();
    /// <summary>The first (outer) positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Cond1 = new("cond1", IOTypes.CONDITIONING);
    /// <summary>The second (middle) positive conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Cond2 = new("cond2", IOTypes.CONDITIONING);
    /// <summary>Negative conditioning.</summary>
    public static readonly SocketInput<ConditioningValue> Negative = new("negative", IOTypes.CONDITIONING);
    /// <summary>Scale of cond1 against cond2.</summary>
    public static readonly FloatInput CfgConds = new("cfg_conds") { Default = 8.0, Min = 0.0, Max = 100.0, Step = 0.1, Round = 0.01 };
    /// <summary>Scale of cond2 against the negative.</summary>
    public static readonly FloatInput CfgCond2Negative = new("cfg_cond2_negative") { Default = 8.0, Min = 0.0, Max = 100.0, Step = 0.1, Round = 0.01 };
    /// <summary>regular: the two guidance terms add; nested: the cond1/cond2 result is guided against the negative.</summary>
    public static readonly ComboInput Style = new("style", ["regular", "nested"]);

    private static readonly NodeSchema Definition = CustomSampling.Schema("DualCFGGuider", CustomSampling.Guiders, [Model, Cond1, Cond2, Negative, CfgConds, CfgCond2Negative, Style], IOTypes.GUIDER);

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var rule = new DualCfgRule(inputs.Get(Cond1), inputs.Get(Cond2), inputs.Get(Negative), inputs.Get(CfgConds), inputs.Get(CfgCond2Negative), inputs.Get(Style) == "nested");
        return ValueTask.FromResult(NodeOutput.Of(new Guider(inputs.Get(Model), rule)));
    }
}
