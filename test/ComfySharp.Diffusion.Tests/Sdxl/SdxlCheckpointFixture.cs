using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.TestKit;
using ComfySharp.Torch.Models;
using Xunit;

namespace ComfySharp.Diffusion.Tests.Sdxl;

/// <summary>
/// The golden random SDXL checkpoint loaded once (float32 UNet and VAE, fp16 text encoders; about 12 GB) for every
/// SDXL model test, under the machine-wide heavy-model lock.
/// </summary>
public sealed class SdxlCheckpointFixture : IDisposable
{
    private readonly IDisposable _lock;

    public SdxlCheckpointFixture()
    {
        Path = RandomSdxlCheckpoint.EnsureFile();
        _lock = HeavyModelLock.Acquire();
        Checkpoint = CheckpointLoading.LoadCheckpoint(Path, new ComputeOptions { Device = DevicePreference.Cpu });
    }

    public string Path { get; }

    public LoadedCheckpoint Checkpoint { get; }

    public void Dispose()
    {
        Checkpoint.UNet?.Dispose();
        Checkpoint.Vae?.Dispose();
        Checkpoint.Clip?.DisposeEncoders();
        _lock.Dispose();
    }
}

/// <summary>
/// SDXL model tests: not run in parallel with any other collection (so the SD1.5 model of the other collections is
/// not loaded beside this one in this process).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SdxlCheckpointCollection : ICollectionFixture<SdxlCheckpointFixture>
{
    public const string Name = "SDXL checkpoint";
}
