namespace ComfySharp.Abstractions;

/// <summary>The type names that travel in <c>/object_info</c> and that links are checked against.</summary>
public static class IOTypes
{
    /// <summary>Integer widget or socket (64-bit; seeds go to 2^64−1).</summary>
    public const string INT = "INT";
    /// <summary>Floating-point widget or socket.</summary>
    public const string FLOAT = "FLOAT";
    /// <summary>Text widget or socket.</summary>
    public const string STRING = "STRING";
    /// <summary>Boolean toggle.</summary>
    public const string BOOLEAN = "BOOLEAN";
    /// <summary>Drop-down of options (schema nodes write it as the type; classic nodes put the list in its place).</summary>
    public const string COMBO = "COMBO";
    /// <summary>Accepts or produces anything.</summary>
    public const string Any = "*";
    /// <summary>Image batch: float tensor [B, H, W, C] in 0..1.</summary>
    public const string IMAGE = "IMAGE";
    /// <summary>Mask batch: float tensor [B, H, W] in 0..1.</summary>
    public const string MASK = "MASK";
    /// <summary>Latent dictionary with <c>samples</c> [B, C, H/8, W/8].</summary>
    public const string LATENT = "LATENT";
    /// <summary>A diffusion model with its patches.</summary>
    public const string MODEL = "MODEL";
    /// <summary>A text encoder with its tokenizer.</summary>
    public const string CLIP = "CLIP";
    /// <summary>An image autoencoder.</summary>
    public const string VAE = "VAE";
    /// <summary>A list of (embedding, options) entries.</summary>
    public const string CONDITIONING = "CONDITIONING";
    /// <summary>A noise schedule.</summary>
    public const string SIGMAS = "SIGMAS";
    /// <summary>A sampler object.</summary>
    public const string SAMPLER = "SAMPLER";
    /// <summary>A noise source.</summary>
    public const string NOISE = "NOISE";
    /// <summary>A guider object.</summary>
    public const string GUIDER = "GUIDER";
    /// <summary>An upscaling network.</summary>
    public const string UPSCALE_MODEL = "UPSCALE_MODEL";
}

/// <summary>Hidden input kinds filled by the executor (never shown in the UI).</summary>
public enum HiddenKind
{
    /// <summary>The whole submitted graph after coercion.</summary>
    PROMPT,
    /// <summary><c>extra_data.extra_pnginfo</c>, or null.</summary>
    EXTRA_PNGINFO,
    /// <summary>The id of the node being executed.</summary>
    UNIQUE_ID,
    /// <summary>The live graph including ephemeral nodes.</summary>
    DYNPROMPT,
    /// <summary>A sensitive <c>extra_data</c> value.</summary>
    AUTH_TOKEN_COMFY_ORG,
    /// <summary>A sensitive <c>extra_data</c> value.</summary>
    API_KEY_COMFY_ORG,
}
