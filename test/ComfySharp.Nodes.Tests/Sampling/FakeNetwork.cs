using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.Diffusion.Models;
using static TorchSharp.torch;

namespace ComfySharp.Nodes.Tests.Sampling;

/// <summary>
/// A tiny stand-in for the UNet: eps = a 1×1 channel mix of the input plus a term from the context,
/// so guidance, conditioning and LoRA patches all change the result. Its one weight is <c>proj.weight</c>.
/// </summary>
internal sealed class FakeNetwork : IDiffusionNetwork, IDisposable
{
    private sealed class Body : nn.Module
    {
        public Body() : base("fake")
        {
            using var noGrad = no_grad();
            proj = nn.Linear(4, 4, hasBias: false);
            proj.weight!.copy_(eye(4) * 0.5f + 0.01f);
            RegisterComponents();
        }

#pragma warning disable IDE1006, SA1300 // named like the checkpoint key
        public readonly TorchSharp.Modules.Linear proj;
#pragma warning restore IDE1006, SA1300
    }

    private readonly Body _body = new();

    public int Calls { get; private set; }

    public List<long> BatchSizes { get; } = [];

    public Tensor Forward(Tensor x, Tensor timesteps, Tensor context, Tensor? y = null)
    {
        Calls++;
        BatchSizes.Add(x.shape[0]);
        using var scope = NewDisposeScope();
        Tensor mixed = _body.proj.forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2);
        Tensor contextTerm = context.mean([1, 2]).view(-1, 1, 1, 1);
        return (mixed + contextTerm).MoveToOuterDisposeScope();
    }

    public nn.Module Module => _body;

    public ModelPrediction Prediction => ModelPrediction.Epsilon;

    public LatentFormat LatentFormat => LatentFormats.Sd15;

    public Device Device => CPU;

    public ScalarType ComputeType => ScalarType.Float32;

    public Tensor Weight => _body.proj.weight!;

    public void Dispose() => _body.Dispose();
}
