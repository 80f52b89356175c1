using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;
using ComfySharp.Nodes.Image;
using ComfySharp.Torch.Images;
using Xunit;
using PreviewImage = ComfySharp.Nodes.Image.PreviewImage;

namespace ComfySharp.Nodes.Tests.Image;

/// <summary>Previews live in memory until something needs the file (DeferredFileWrites), with real files on disk.</summary>
public sealed class HeldPreviewTests
{
    [Fact]
    public async Task A_preview_reaches_disk_only_when_a_reader_asks_and_then_with_its_exact_bytes()
    {
        using var context = new ImagingTestContext();
        var node = new PreviewImage();
        using var images = T.Of([0.2f, 0.4f, 0.6f, 1f, 0f, 0f], 1, 1, 2, 3);
        var ui = (await node.ExecuteAsync(new NodeInputs(new Dictionary<string, object?> { ["images"] = images }), context)).Ui!;
        string path = Path.Combine(context.Directories.Temp, ui["images"]![0]!["filename"]!.GetValue<string>());
        Assert.True(DeferredFileWrites.IsHeld(path));
        Assert.False(File.Exists(path));
        await DeferredFileWrites.WhenWrittenAsync(path);
        Assert.False(DeferredFileWrites.IsHeld(path));
        DecodedImage decoded = ImageDecoder.Decode(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken), 1 << 20);
        Assert.Equal(new byte[] { 51, 102, 153, 255, 255, 0, 0, 255 }, decoded.Frames[0].Rgba.Pixels);
        await DeferredFileWrites.WhenWrittenAsync(path);
    }

    [Fact]
    public void A_counter_scan_counts_names_held_in_memory()
    {
        using var context = new ImagingTestContext();
        string folder = context.Directories.Output;
        Directory.CreateDirectory(folder);
        string prefix = "held_" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllBytes(Path.Combine(folder, $"{prefix}_00002_.png"), [1]);
        DeferredFileWrites.Write(Path.Combine(folder, $"{prefix}_00007_.png"), [2]);
        try
        {
            Assert.Equal(8, ImageSaver.Resolve(prefix, folder, 1, 1, DateTime.Now).Counter);
        }
        finally
        {
            DeferredFileWrites.DiscardUnwritten(folder, TimeSpan.FromSeconds(5));
        }
        Assert.False(File.Exists(Path.Combine(folder, $"{prefix}_00007_.png")));
    }

    [Fact]
    public void Discarding_a_folder_drops_only_its_own_files()
    {
        using var first = new ImagingTestContext();
        using var second = new ImagingTestContext();
        Directory.CreateDirectory(first.Directories.Temp);
        Directory.CreateDirectory(second.Directories.Temp);
        string dropped = Path.Combine(first.Directories.Temp, "a.png");
        string kept = Path.Combine(second.Directories.Temp, "b.png");
        DeferredFileWrites.Write(dropped, [1, 2, 3]);
        DeferredFileWrites.Write(kept, [4, 5]);
        Assert.True(DeferredFileWrites.DiscardUnwritten(first.Directories.Temp, TimeSpan.FromSeconds(5)));
        Assert.False(DeferredFileWrites.IsHeld(dropped));
        DeferredFileWrites.WaitUntilWritten(dropped);
        Assert.False(File.Exists(dropped));
        DeferredFileWrites.WaitUntilWritten(kept);
        Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(kept));
    }

    [Fact]
    public void Writing_a_folder_out_leaves_other_folders_in_memory()
    {
        using var first = new ImagingTestContext();
        using var second = new ImagingTestContext();
        Directory.CreateDirectory(first.Directories.Temp);
        Directory.CreateDirectory(second.Directories.Temp);
        string listed = Path.Combine(first.Directories.Temp, "listed.png");
        string other = Path.Combine(second.Directories.Temp, "other.png");
        DeferredFileWrites.Write(listed, [7]);
        DeferredFileWrites.Write(other, [8]);
        DeferredFileWrites.WriteAll(first.Directories.Temp);
        Assert.Equal(new byte[] { 7 }, File.ReadAllBytes(listed));
        Assert.True(DeferredFileWrites.IsHeld(other));
        Assert.False(File.Exists(other));
        DeferredFileWrites.DiscardUnwritten(second.Directories.Temp, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Readers_racing_for_one_file_write_it_once_with_the_newest_content()
    {
        using var context = new ImagingTestContext();
        Directory.CreateDirectory(context.Directories.Temp);
        string path = Path.Combine(context.Directories.Temp, "race.png");
        DeferredFileWrites.Write(path, [9]);
        DeferredFileWrites.Write(path, [1, 2, 3, 4]);
        Parallel.For(0, 16, _ => DeferredFileWrites.WaitUntilWritten(path));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, File.ReadAllBytes(path));
        Assert.False(DeferredFileWrites.IsHeld(path));
    }

    [Fact]
    public async Task Past_the_file_limit_the_oldest_are_written_out_by_the_background_writer()
    {
        using var context = new ImagingTestContext();
        Directory.CreateDirectory(context.Directories.Temp);
        // The limit is process-wide: lowering it only makes other tests' previews reach disk early,
        // which readers cannot tell apart.
        int saved = DeferredFileWrites.MaxHeldFiles;
        string[] paths = Enumerable.Range(0, 40).Select(i => Path.Combine(context.Directories.Temp, $"spill_{i}.png")).ToArray();
        try
        {
            DeferredFileWrites.MaxHeldFiles = 4;
            for (int i = 0; i < paths.Length; i++)
            {
                DeferredFileWrites.Write(paths[i], [(byte)i]);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!File.Exists(paths[0]) || !File.Exists(paths[20]))
            {
                await Task.Delay(10, timeout.Token);
            }
        }
        finally
        {
            DeferredFileWrites.MaxHeldFiles = saved;
        }
        Assert.Equal(new byte[] { 0 }, await File.ReadAllBytesAsync(paths[0], TestContext.Current.CancellationToken));
        Assert.Equal(new byte[] { 20 }, await File.ReadAllBytesAsync(paths[20], TestContext.Current.CancellationToken));
        for (int i = 0; i < paths.Length; i++)
        {
            await DeferredFileWrites.WhenWrittenAsync(paths[i]);
            Assert.Equal(new byte[] { (byte)i }, await File.ReadAllBytesAsync(paths[i], TestContext.Current.CancellationToken));
        }
    }
}
