namespace ComfySharp.Torch.Models;

/// <summary>
/// The instruction-set extensions of the CPU that decide whether reduced precision pays off: without
/// AVX-512 BF16 or AMX, libtorch computes bfloat16 by converting to float32 and back, which is slower
/// than float32 itself (read from <c>/proc/cpuinfo</c> on Linux; empty elsewhere).
/// </summary>
public sealed record CpuFeatures(IReadOnlySet<string> Flags)
{
    private static readonly string[] Reported = ["avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_fp16"];

    /// <summary>The extensions of this machine (cached after the first read).</summary>
    public static CpuFeatures Current { get; } = Read("/proc/cpuinfo");

    /// <summary>True when bfloat16 arithmetic has hardware support (AVX-512 BF16 or AMX).</summary>
    public bool NativeBFloat16 => Flags.Contains("avx512_bf16") || Flags.Contains("amx_bf16");

    /// <summary>The reported extensions this CPU has, in a fixed order.</summary>
    public IReadOnlyList<string> Summary => [.. Reported.Where(Flags.Contains)];

    /// <summary>Parses the first <c>flags</c> line of a cpuinfo file; a missing file gives no flags.</summary>
    public static CpuFeatures Read(string cpuinfoPath)
    {
        try
        {
            foreach (string line in File.ReadLines(cpuinfoPath))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && line[..colon].Trim() is "flags" or "Features")
                {
                    return Parse(line[(colon + 1)..]);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return new CpuFeatures(new HashSet<string>(StringComparer.Ordinal));
    }

    /// <summary>The flags of one space-separated <c>flags</c> value.</summary>
    public static CpuFeatures Parse(string flags) =>
        new(new HashSet<string>((flags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal));
}
