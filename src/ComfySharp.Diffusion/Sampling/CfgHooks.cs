using ComfySharp.Diffusion.Models;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Sampling;

/// <summary>Runs a model's CFG function and post-CFG functions around a guidance rule's mix (the reference's cfg_function).</summary>
internal static class CfgHooks
{
    public static Tensor Guide(CfgGuider guider, GuidanceRule rule, Tensor x, Tensor sigma, Tensor[] predictions, bool[] evaluated)
    {
        ModelOptions options = guider.Options;
        if (rule.HookSlots is not null && options.PreCfgFunctions.Count > 0)
        {
            var preStep = new PreCfgStep { Input = x, Sigma = sigma, CondScale = rule.CondScale, Evaluated = evaluated };
            foreach (PreCfgFunction pre in options.PreCfgFunctions)
            {
                predictions = pre(predictions, preStep);
            }
        }
        Tensor mixed = rule.Combine(x, predictions);
        if (rule.HookSlots is not { } slots || (options.SamplerCfgFunction is null && options.PostCfgFunctions.Count == 0))
        {
            return mixed;
        }
        Tensor cond = predictions[slots.Cond];
        Tensor uncond = slots.Uncond is { } u ? predictions[u] : zeros_like(x);
        CfgStep Step(Tensor denoised) => new()
        {
            Input = x,
            Sigma = sigma,
            CondScale = rule.CondScale,
            CondDenoised = cond,
            UncondDenoised = uncond,
            Denoised = denoised,
            Options = options,
            EvaluateCond = (input, o) => guider.EvaluateList(slots.Cond, input, sigma, o),
            EvaluateUncond = slots.Uncond is { } list ? (input, o) => guider.EvaluateList(list, input, sigma, o) : null,
            EvaluateConditioning = (c, input) => guider.EvaluateConditioning(c, input, sigma),
            Sampling = guider.Sampling,
        };
        if (slots.CfgFunction && options.SamplerCfgFunction is { } cfgFunction)
        {
            mixed = cfgFunction(Step(mixed));
        }
        foreach (PostCfgFunction post in options.PostCfgFunctions)
        {
            mixed = post(Step(mixed));
        }
        return mixed;
    }
}
