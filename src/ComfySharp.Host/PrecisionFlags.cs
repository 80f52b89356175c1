using ComfySharp.Torch.Models;
using static TorchSharp.torch;

namespace ComfySharp.Host;

/// <summary>
/// The reference's device and precision flags mapped onto <see cref="ComputeOptions"/>: <c>--cpu</c>,
/// <c>--force-fp32</c>/<c>--force-fp16</c>, <c>--fp32|fp64|bf16|fp16-unet</c> and <c>--fp32|bf16|fp16-vae</c>.
/// Nothing changes precision unless asked: the defaults stay float32 on the CPU.
/// </summary>
internal static class PrecisionFlags
{
    /// <summary>The compute policy the flags ask for.</summary>
    public static ComputeOptions ComputeFrom(ServerFlags flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ScalarType? unet = Pick(flags, ("--fp32-unet", ScalarType.Float32), ("--fp64-unet", ScalarType.Float64),
            ("--bf16-unet", ScalarType.BFloat16), ("--fp16-unet", ScalarType.Float16));
        ScalarType? vae = Pick(flags, ("--fp32-vae", ScalarType.Float32), ("--bf16-vae", ScalarType.BFloat16), ("--fp16-vae", ScalarType.Float16));
        if (flags.Has("--force-fp32"))
        {
            unet ??= ScalarType.Float32;
            vae ??= ScalarType.Float32;
        }
        else if (flags.Has("--force-fp16"))
        {
            unet ??= ScalarType.Float16;
        }
        return new ComputeOptions
        {
            Device = flags.Has("--cpu") ? DevicePreference.Cpu : DevicePreference.Auto,
            UNetDtype = unet,
            VaeDtype = vae,
        };
    }

    /// <summary>One log line: what each model runs in, and whether the CPU has native bfloat16.</summary>
    public static string Describe(ComputeOptions options, CpuFeatures cpu)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cpu);
        string device = options.UsesCuda ? "cuda" : "cpu";
        string line = $"Compute: {device}; UNet {Name(options.ResolveUNetDtype())}, VAE {Name(options.ResolveVaeDtype())}, " +
            $"text encoder {Name(options.ResolveTextEncoderDtype())}. CPU extensions: {(cpu.Summary.Count > 0 ? string.Join(' ', cpu.Summary) : "unknown")}";
        bool asksBf16 = options.ResolveUNetDtype() == ScalarType.BFloat16 || options.ResolveVaeDtype() == ScalarType.BFloat16;
        if (!options.UsesCuda && asksBf16 && !cpu.NativeBFloat16)
        {
            line += " — no AVX-512 BF16/AMX here: bfloat16 is emulated and slower than float32 on this CPU";
        }
        return line + ".";
    }

    /// <summary>The PyTorch name of a dtype (<c>float32</c>, <c>bfloat16</c>, ...), as the reference logs it.</summary>
    public static string Name(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static ScalarType? Pick(ServerFlags flags, params (string Flag, ScalarType Type)[] choices)
    {
        var given = choices.Where(c => flags.Has(c.Flag)).ToList();
        if (given.Count > 1)
        {
            // argparse's mutually exclusive group message.
            throw new FlagException($"argument {given[1].Flag}: not allowed with argument {given[0].Flag}");
        }
        return given.Count == 1 ? given[0].Type : null;
    }
}
