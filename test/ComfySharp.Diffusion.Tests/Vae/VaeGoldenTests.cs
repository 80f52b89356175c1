using ComfySharp.Diffusion.Tests.Checkpoints;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.Vae;

[Collection(Sd15CheckpointCollection.Name)]
public sealed class VaeGoldenTests(Sd15CheckpointFixture fixture)
{
    private static SafeTensorsFile Golden(string name) =>
        SafeTensorsFile.Open(Path.Combine(TestPaths.Shared, "golden", "sd15", "06_vae", name + ".safetensors"));

    [Fact]
    public void Decode_matches_the_reference()
    {
        using var scope = NewDisposeScope();
        using var golden = Golden("decode");
        var vae = fixture.Checkpoint.Vae!;
        Tensor latent = golden.Load("latent");

        Tensor raw = vae.DecodeRaw(latent);
        double rawError = TensorAssert.MaxRelativeError(golden.Load("decoder_raw"), raw);
        Assert.True(rawError <= 1e-4, $"decoder_raw rel error {rawError:E2}");

        Tensor image = vae.Decode(latent);
        Tensor expected = golden.Load("image");
        Assert.Equal(expected.shape, image.shape);
        double absError = (expected - image).abs().max().item<float>();
        Assert.True(absError <= 1e-4, $"image abs error {absError:E2}");
    }

    [Fact]
    public void Encode_matches_the_reference()
    {
        using var scope = NewDisposeScope();
        using var golden = Golden("encode");
        var vae = fixture.Checkpoint.Vae!;
        Tensor latent = vae.Encode(golden.Load("image"));
        double error = TensorAssert.MaxRelativeError(golden.Load("latent"), latent);
        Assert.True(error <= 1e-4, $"latent rel error {error:E2}");
    }

    [Fact]
    public void Encode_drops_alpha_and_crops_before_encoding()
    {
        using var scope = NewDisposeScope();
        using var golden = Golden("encode");
        var vae = fixture.Checkpoint.Vae!;
        Tensor image = golden.Load("image");
        // Pad to 69x67 with an alpha channel: the centre crop (offsets 2 and 1) must give back the 64x64 image.
        Tensor padded = zeros(1, 69, 67, 4);
        padded[.., 2..66, 1..65, ..3] = image;
        padded[.., .., .., 3] = 1;
        Tensor latent = vae.Encode(padded);
        double error = TensorAssert.MaxRelativeError(golden.Load("latent"), latent);
        Assert.True(error <= 1e-4, $"latent rel error {error:E2}");
    }

    [Fact]
    public void Tiled_decode_of_a_latent_within_one_tile_equals_the_plain_decode()
    {
        using var scope = NewDisposeScope();
        using var golden = Golden("decode");
        var vae = fixture.Checkpoint.Vae!;
        Tensor latent = golden.Load("latent");
        // 8x8 latent with 16-cell tiles: every one of the three tilings is a single tile.
        Tensor tiled = vae.DecodeTiled(latent, 16, 16, 2, TestContext.Current.CancellationToken);
        Tensor plain = vae.Decode(latent);
        Assert.True((tiled - plain).abs().max().item<float>() <= 1e-5);
    }

    [Fact]
    public void Tiled_decode_with_several_tiles_gives_a_full_size_image_in_range()
    {
        using var scope = NewDisposeScope();
        var vae = fixture.Checkpoint.Vae!;
        manual_seed(5);
        Tensor latent = randn(1, 4, 4, 10);
        // 8-cell tiles: the 10-wide side needs two tiles in two of the three tilings.
        Tensor tiled = vae.DecodeTiled(latent, 8, 8, 2, TestContext.Current.CancellationToken);
        Assert.Equal([1L, 32, 80, 3], tiled.shape);
        Assert.True(tiled.isfinite().all().item<bool>());
        Assert.True(tiled.min().item<float>() >= 0 && tiled.max().item<float>() <= 1);
    }
}
