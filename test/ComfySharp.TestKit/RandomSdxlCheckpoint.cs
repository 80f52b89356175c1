namespace ComfySharp.TestKit;

/// <summary>
/// The deterministic random SDXL base checkpoint of golden/README.md §5-§6 (<c>random_sdxl.safetensors</c>,
/// 2515 tensors, 6.9 GB), rebuilt byte for byte by the SD1.5 value rule and cached beside the SD1.5 one.
/// </summary>
public static class RandomSdxlCheckpoint
{
    /// <summary>File name of the cached checkpoint.</summary>
    public const string FileName = "random_sdxl.safetensors";

    /// <summary>Size of the file (golden README §5).</summary>
    public const long ExpectedFileLength = 6_938_041_144;

    /// <summary>The checkpoint (layout, values, cached file).</summary>
    public static RandomCheckpointFile Checkpoint { get; } = new(FileName, LdmKeyLayout.SdxlBase());

    /// <summary>The path of the cached checkpoint, generating it first when it is missing or invalid (about a minute).</summary>
    public static string EnsureFile() => Checkpoint.EnsureFile();
}

/// <summary>
/// A random SD 2.x checkpoint (768 v-prediction layout: OpenCLIP ViT-H text tower, 1024-wide context, linear
/// projections) built by the same value rule; no reference data exists for it, it checks detection and that
/// sampling is finite and deterministic.
/// </summary>
public static class RandomSd2Checkpoint
{
    /// <summary>File name of the cached checkpoint.</summary>
    public const string FileName = "random_sd2.safetensors";

    /// <summary>The checkpoint (layout, values, cached file).</summary>
    public static RandomCheckpointFile Checkpoint { get; } = new(FileName, LdmKeyLayout.Sd2());

    /// <summary>The path of the cached checkpoint, generating it first when it is missing or invalid.</summary>
    public static string EnsureFile() => Checkpoint.EnsureFile();
}
