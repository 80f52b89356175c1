using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Shared_folder_is_beside_the_checkout() =>
        Assert.True(Directory.Exists(ComfySharp.TestKit.TestPaths.Shared), ComfySharp.TestKit.TestPaths.Shared);

    [Fact]
    public void Libtorch_loads_and_seeded_randn_matches_pytorch()
    {
        // torch.manual_seed(0); torch.randn(3) in PyTorch gives [1.5410, -0.2934, -2.1788].
        manual_seed(0);
        float[] values = randn(3).data<float>().ToArray();
        Assert.Equal(1.5410f, values[0], 3);
        Assert.Equal(-0.2934f, values[1], 3);
        Assert.Equal(-2.1788f, values[2], 3);
    }
}
