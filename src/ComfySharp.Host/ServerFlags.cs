using System.Collections.Frozen;
using System.Globalization;

namespace ComfySharp.Host;

/// <summary>How many values a flag takes (argparse's nargs).</summary>
internal enum Arity
{
    /// <summary>A switch.</summary>
    None,
    /// <summary>Exactly one value.</summary>
    One,
    /// <summary>Zero or one value (<c>nargs='?'</c>).</summary>
    Optional,
    /// <summary>One or more values (<c>nargs='+'</c>), repeatable.</summary>
    Many,
}

/// <summary>A command-line flag that could not be parsed; the process exits with code 2 like argparse.</summary>
internal sealed class FlagException(string message) : Exception(message);

/// <summary>
/// The reference's <c>main.py</c> flags (FILES.md §5) plus ours. Parsed like argparse: <c>--flag value</c>,
/// <c>--flag=value</c>, optional values, repeatable lists; anything unknown is an error.
/// </summary>
internal sealed class ServerFlags
{
    /// <summary>Flags that change behaviour here.</summary>
    private static readonly FrozenDictionary<string, Arity> Meaningful = new Dictionary<string, Arity>(StringComparer.Ordinal)
    {
        ["--listen"] = Arity.Optional, ["--port"] = Arity.One, ["--enable-cors-header"] = Arity.Optional,
        ["--max-upload-size"] = Arity.One, ["--front-end-root"] = Arity.One,
        ["--base-directory"] = Arity.One, ["--output-directory"] = Arity.One, ["--input-directory"] = Arity.One,
        ["--temp-directory"] = Arity.One, ["--user-directory"] = Arity.One, ["--extra-model-paths-config"] = Arity.Many,
        ["--cache-classic"] = Arity.None, ["--cache-lru"] = Arity.One, ["--cache-ram"] = Arity.Optional, ["--cache-none"] = Arity.None,
        ["--preview-method"] = Arity.One, ["--preview-size"] = Arity.One, ["--disable-metadata"] = Arity.None,
        ["--verbose"] = Arity.Optional, ["--cpu"] = Arity.None, ["--quick-test-for-ci"] = Arity.None,
        ["--test-nodes"] = Arity.None, ["--database"] = Arity.One, ["--in-memory"] = Arity.None,
        ["--auth"] = Arity.None, ["--no-auth"] = Arity.None, ["--webhook"] = Arity.One, ["--webhook-secret"] = Arity.One, ["--help"] = Arity.None, ["-h"] = Arity.None,
        ["--max-execution-seconds"] = Arity.One,
        ["--fp32-unet"] = Arity.None, ["--fp64-unet"] = Arity.None, ["--bf16-unet"] = Arity.None, ["--fp16-unet"] = Arity.None,
        ["--fp32-vae"] = Arity.None, ["--bf16-vae"] = Arity.None, ["--fp16-vae"] = Arity.None,
        ["--force-fp32"] = Arity.None, ["--force-fp16"] = Arity.None,
        ["--role"] = Arity.One, ["--retry"] = Arity.One, ["--lease-seconds"] = Arity.One, ["--worker-id"] = Arity.One, ["--worker-tags"] = Arity.One,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Flags accepted so existing launch scripts keep working; they are logged and ignored.</summary>
    private static readonly FrozenDictionary<string, Arity> Accepted = new Dictionary<string, Arity>(StringComparer.Ordinal)
    {
        ["--tls-keyfile"] = Arity.One, ["--tls-certfile"] = Arity.One, ["--enable-compress-response-body"] = Arity.None,
        ["--multi-user"] = Arity.None, ["--front-end-version"] = Arity.One, ["--disable-api-nodes"] = Arity.None,
        ["--disable-all-custom-nodes"] = Arity.None, ["--whitelist-custom-nodes"] = Arity.Many, ["--dont-print-server"] = Arity.None,
        ["--auto-launch"] = Arity.None, ["--disable-auto-launch"] = Arity.None, ["--default-hashing-function"] = Arity.One,
        ["--log-stdout"] = Arity.None, ["--deterministic"] = Arity.None, ["--gpu-only"] = Arity.None, ["--highvram"] = Arity.None,
        ["--normalvram"] = Arity.None, ["--lowvram"] = Arity.None, ["--novram"] = Arity.None, ["--reserve-vram"] = Arity.One,
        ["--cuda-device"] = Arity.One, ["--default-device"] = Arity.One, ["--directml"] = Arity.Optional,
        ["--oneapi-device-selector"] = Arity.One, ["--disable-smart-memory"] = Arity.None, ["--cuda-malloc"] = Arity.None,
        ["--disable-cuda-malloc"] = Arity.None,
        ["--fp8_e4m3fn-unet"] = Arity.None, ["--fp8_e5m2-unet"] = Arity.None, ["--fp8_e8m0fnu-unet"] = Arity.None,
        ["--cpu-vae"] = Arity.None,
        ["--fp8_e4m3fn-text-enc"] = Arity.None, ["--fp8_e5m2-text-enc"] = Arity.None, ["--fp16-text-enc"] = Arity.None,
        ["--fp32-text-enc"] = Arity.None, ["--bf16-text-enc"] = Arity.None, ["--force-channels-last"] = Arity.None,
        ["--use-split-cross-attention"] = Arity.None, ["--use-quad-cross-attention"] = Arity.None,
        ["--use-pytorch-cross-attention"] = Arity.None, ["--use-sage-attention"] = Arity.None, ["--use-flash-attention"] = Arity.None,
        ["--disable-xformers"] = Arity.None, ["--force-upcast-attention"] = Arity.None, ["--dont-upcast-attention"] = Arity.None,
        ["--async-offload"] = Arity.Optional, ["--disable-async-offload"] = Arity.None, ["--force-non-blocking"] = Arity.None,
        ["--disable-pinned-memory"] = Arity.None, ["--mmap-torch-files"] = Arity.None, ["--disable-mmap"] = Arity.None,
        ["--supports-fp8-compute"] = Arity.None, ["--disable-ipex-optimize"] = Arity.None, ["--fast"] = Arity.Many,
        ["--enable-manager"] = Arity.None, ["--disable-manager-ui"] = Arity.None, ["--enable-manager-legacy-ui"] = Arity.None,
        ["--windows-standalone-build"] = Arity.None, ["--comfy-api-base"] = Arity.One, ["--database-url"] = Arity.One,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly Dictionary<string, List<string?>> _values = new(StringComparer.Ordinal);

    /// <summary>Flags that were given but have no effect here.</summary>
    public List<string> Ignored { get; } = [];

    /// <summary>Parses the arguments or throws <see cref="FlagException"/>.</summary>
    public static ServerFlags Parse(IReadOnlyList<string> args)
    {
        var flags = new ServerFlags();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string name = arg;
            string? inline = null;
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
            }
            Arity arity;
            if (Meaningful.TryGetValue(name, out arity))
            {
            }
            else if (Accepted.TryGetValue(name, out arity))
            {
                flags.Ignored.Add(name);
            }
            else
            {
                throw new FlagException($"unrecognized arguments: {arg}");
            }
            List<string?> values = flags._values.TryGetValue(name, out var existing) ? existing : flags._values[name] = [];
            switch (arity)
            {
                case Arity.None:
                    if (inline is not null)
                    {
                        throw new FlagException($"argument {name}: ignored explicit argument '{inline}'");
                    }
                    values.Add(null);
                    break;
                case Arity.One:
                    if (inline is null)
                    {
                        if (i + 1 >= args.Count || IsFlag(args[i + 1]))
                        {
                            throw new FlagException($"argument {name}: expected one argument");
                        }
                        inline = args[++i];
                    }
                    values.Clear();
                    values.Add(inline);
                    break;
                case Arity.Optional:
                    if (inline is null && i + 1 < args.Count && !IsFlag(args[i + 1]))
                    {
                        inline = args[++i];
                    }
                    values.Clear();
                    values.Add(inline);
                    break;
                case Arity.Many:
                    int before = values.Count;
                    if (inline is not null)
                    {
                        values.Add(inline);
                    }
                    while (i + 1 < args.Count && !IsFlag(args[i + 1]))
                    {
                        values.Add(args[++i]);
                    }
                    if (values.Count == before)
                    {
                        throw new FlagException($"argument {name}: expected at least one argument");
                    }
                    break;
            }
        }
        return flags;
    }

    /// <summary>True when the flag was given.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The flag's (last) value; null when absent or given without a value.</summary>
    public string? Value(string name) => _values.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;

    /// <summary>Every value of a repeatable flag.</summary>
    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var v) ? v.Where(x => x is not null).Select(x => x!).ToList() : [];

    /// <summary>An integer value, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback)
    {
        string? v = Value(name);
        if (v is null)
        {
            return fallback;
        }
        return int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) ? n
            : throw new FlagException($"argument {name}: invalid int value: '{v}'");
    }

    /// <summary>A float value, or null when absent.</summary>
    public double? Float(string name)
    {
        string? v = Value(name);
        if (v is null)
        {
            return null;
        }
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d
            : throw new FlagException($"argument {name}: invalid float value: '{v}'");
    }

    /// <summary>The usage text.</summary>
    public static string Usage =>
        "usage: comfysharp [--listen [IP]] [--port N] [--base-directory DIR] [--output-directory DIR] [--input-directory DIR]\n" +
        "                  [--temp-directory DIR] [--user-directory DIR] [--extra-model-paths-config PATH [PATH ...]]\n" +
        "                  [--cache-classic | --cache-lru N | --cache-ram [GB] | --cache-none] [--enable-cors-header [ORIGIN]]\n" +
        "                  [--max-upload-size MB] [--disable-metadata] [--preview-method {none,auto,latent2rgb,taesd}]\n" +
        "                  [--preview-size N] [--front-end-root DIR] [--verbose [LEVEL]] [--cpu] [--test-nodes] [--database PATH]\n" +
        "                  [--in-memory] [--max-execution-seconds S] [--auth | --no-auth] [--webhook URL] [--webhook-secret whsec_...]\n" +
        "                  [--role {all,api,worker}] [--retry {once,never}] [--lease-seconds S] [--worker-id NAME]\n" +
        "                  [--worker-tags TAG,TAG]\n" +
        "                  (--database takes a SQLite file or postgres://user@host:port/db; roles api/worker need PostgreSQL)\n" +
        "                  [other main.py flags, accepted and ignored]\n" +
        "       comfysharp users add NAME [--admin] | users list | keys create USER [--max-pending N] [--per-minute N]\n" +
        "       comfysharp keys list | keys revoke ID|PREFIX   (account options: --database PATH, --base-directory DIR, --user-directory DIR)\n" +
        "       comfysharp <client subcommand> ...\n";

    // argparse treats "-5" as a value (a negative number), "--x" / "-x" as a flag.
    private static bool IsFlag(string arg) => arg.StartsWith('-') && arg.Length > 1 && !double.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
