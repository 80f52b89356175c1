using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Loaders;

/// <summary>Loads a standalone VAE from the <c>vae</c> folder.</summary>
public sealed class VAELoader : ComfyNode
{
    /// <summary>The VAE file, a tiny autoencoder name, or <c>pixel_space</c>.</summary>
    public static readonly ComboInput VaeName = new("vae_name", LoaderServices.VaeOptions) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "VAELoader",
        DisplayName = "Load VAE",
        Category = "loaders",
        Required = [VaeName],
        Outputs = [new OutputSpec(IOTypes.VAE)],
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string name = inputs.Get(VaeName);
        if (name == LoaderServices.PixelSpace || LoaderServices.TinyAutoencoders.Contains(name))
        {
            throw new NotSupportedException($"VAE '{name}' is not supported by this server yet; choose a VAE file from the 'vae' folder.");
        }
        string path = LoaderServices.Resolve(context.Services, "vae", name);
        return ValueTask.FromResult(NodeOutput.Of(LoaderServices.LoadVae(context.Services, path)));
    }
}
