using ComfySharp.Diffusion.Checkpoints;
using ComfySharp.TestKit;
using ComfySharp.Torch.Models;
using Xunit;

namespace ComfySharp.Diffusion.Tests.Checkpoints;

/// <summary>The golden random SD1.5 checkpoint loaded once (float32, CPU) for a test class; about 3.7 GB of weights.</summary>
public sealed class Sd15CheckpointFixture : IDisposable
{
    public Sd15CheckpointFixture()
    {
        Path = RandomSd15Checkpoint.EnsureFile();
        Checkpoint = CheckpointLoading.LoadCheckpoint(Path, new ComputeOptions { Device = DevicePreference.Cpu });
    }

    public string Path { get; }

    public LoadedCheckpoint Checkpoint { get; }

    public void Dispose()
    {
        Checkpoint.UNet?.Dispose();
        Checkpoint.Vae?.Dispose();
        Checkpoint.Clip?.DisposeEncoders();
    }
}

[CollectionDefinition(Name)]
public sealed class Sd15CheckpointCollection : ICollectionFixture<Sd15CheckpointFixture>
{
    public const string Name = "SD1.5 checkpoint";
}
