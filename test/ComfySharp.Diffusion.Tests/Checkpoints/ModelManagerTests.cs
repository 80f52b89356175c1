using ComfySharp.TestKit;
using ComfySharp.Torch.Models;
using Xunit;

namespace ComfySharp.Diffusion.Tests.Checkpoints;

public sealed class ModelManagerTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory("model-manager");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class FakeModel(long bytes) : IModelMemory
    {
        public long WeightBytes { get; } = bytes;
    }

    private string FileOf(string name)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, [0]);
        return path;
    }

    [Fact]
    public void The_same_file_and_variant_is_loaded_once_and_shared()
    {
        var manager = new ModelManager(new ComputeOptions { Device = DevicePreference.Cpu, MemoryBudgetBytes = 1000 });
        string path = FileOf("a.safetensors");
        int loads = 0;
        var first = manager.GetOrLoad(path, "checkpoint", _ => { loads++; return new FakeModel(10); });
        var second = manager.GetOrLoad(path, "checkpoint", _ => { loads++; return new FakeModel(10); });
        var otherVariant = manager.GetOrLoad(path, "vae", _ => { loads++; return new FakeModel(10); });
        Assert.Same(first, second);
        Assert.NotSame(first, otherVariant);
        Assert.Equal(2, loads);
        Assert.Equal(20, manager.LoadedBytes);
    }

    [Fact]
    public void A_changed_file_is_loaded_again()
    {
        var manager = new ModelManager(new ComputeOptions { Device = DevicePreference.Cpu, MemoryBudgetBytes = 1000 });
        string path = FileOf("a.safetensors");
        var first = manager.GetOrLoad(path, "checkpoint", _ => new FakeModel(10));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(5));
        var second = manager.GetOrLoad(path, "checkpoint", _ => new FakeModel(10));
        Assert.NotSame(first, second);
        Assert.Single(manager.Loaded);
    }

    [Fact]
    public void Least_recently_used_models_are_released_beyond_the_budget()
    {
        var manager = new ModelManager(new ComputeOptions { Device = DevicePreference.Cpu, MemoryBudgetBytes = 100 });
        string a = FileOf("a.safetensors"), b = FileOf("b.safetensors"), c = FileOf("c.safetensors");
        manager.GetOrLoad(a, "x", _ => new FakeModel(40));
        manager.GetOrLoad(b, "x", _ => new FakeModel(40));
        manager.GetOrLoad(a, "x", _ => new FakeModel(40)); // a is now the most recent
        manager.GetOrLoad(c, "x", _ => new FakeModel(40));
        Assert.Equal([c, a], manager.Loaded.Select(m => m.Path));
        Assert.Equal(80, manager.LoadedBytes);
    }

    [Fact]
    public void Unload_all_releases_everything_and_the_next_request_loads_anew()
    {
        var manager = new ModelManager(new ComputeOptions { Device = DevicePreference.Cpu, MemoryBudgetBytes = 1000 });
        string path = FileOf("a.safetensors");
        var first = manager.GetOrLoad(path, "x", _ => new FakeModel(10));
        Assert.Equal(1, manager.UnloadAll());
        Assert.Empty(manager.Loaded);
        Assert.NotSame(first, manager.GetOrLoad(path, "x", _ => new FakeModel(10)));
    }

    [Fact]
    public void A_failed_load_is_not_cached()
    {
        var manager = new ModelManager(new ComputeOptions { Device = DevicePreference.Cpu, MemoryBudgetBytes = 1000 });
        string path = FileOf("a.safetensors");
        Assert.Throws<InvalidOperationException>(() => manager.GetOrLoad<FakeModel>(path, "x", _ => throw new InvalidOperationException("bad")));
        Assert.NotNull(manager.GetOrLoad(path, "x", _ => new FakeModel(10)));
    }

    [Fact]
    public void System_info_reports_one_cpu_device_with_ram_figures()
    {
        var manager = new ModelManager(new ComputeOptions { Device = DevicePreference.Cpu, MemoryBudgetBytes = 1000 });
        var info = manager.SystemInfo();
        Assert.True(info.RamTotal > 0 && info.RamFree > 0 && info.RamFree <= info.RamTotal);
        var device = Assert.Single(info.Devices);
        Assert.Equal("cpu", device.Type);
        Assert.Null(device.Index);
        Assert.Equal(info.RamTotal, device.VramTotal);
        Assert.Equal(1000, info.MemoryBudgetBytes);
    }
}
