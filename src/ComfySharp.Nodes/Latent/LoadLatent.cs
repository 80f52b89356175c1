using System.Security.Cryptography;
using ComfySharp.Abstractions;
using ComfySharp.Torch.SafeTensors;
using LatentValue = ComfySharp.Torch.Latent;

namespace ComfySharp.Nodes.Latent;

/// <summary>Loads a <c>.latent</c> file from the input directory (see <see cref="LatentFiles"/>).</summary>
public sealed class LoadLatent : ComfyNode
{
    /// <summary>The file: <c>.latent</c> files directly in the input directory, listed afresh on every request.</summary>
    public static readonly ComboInput File = new("latent", LatentFiles.ListInputLatents) { OneElementSpec = true };

    private static readonly NodeSchema Definition = new()
    {
        ClassType = "LoadLatent",
        Category = "_for_testing",
        Required = [File],
        Outputs = [new OutputSpec(IOTypes.LATENT)],
        Validation = new ValidationSignature(["latent"]),
    };

    /// <inheritdoc />
    public override NodeSchema Schema => Definition;

    /// <inheritdoc />
    public override bool HasFingerprint => true;

    /// <inheritdoc />
    public override ValueTask<NodeOutput> ExecuteAsync(NodeInputs inputs, NodeContext context)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(context);
        string name = inputs.Get(File);
        string path = LatentFiles.Resolve(context.Services, name) ?? throw new FileNotFoundException(InvalidFile(name));
        try
        {
            return ValueTask.FromResult(NodeOutput.Of(new LatentValue(LatentFiles.Read(path, name))));
        }
        catch (IOException ex)
        {
            throw new SafeTensorsFormatException($"Cannot read latent file '{name}': {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public override async ValueTask<object?> FingerprintInputsAsync(NodeInputs constants, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        if (!constants.HasValue(File))
        {
            return null;
        }
        string name = constants.Get(File);
        string path = LatentFiles.Resolve(services, name) ?? throw new FileNotFoundException(InvalidFile(name));
        await using var stream = System.IO.File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public override ValueTask<ValidationResult> ValidateInputsAsync(NodeInputs constants, IReadOnlyDictionary<string, string> inputTypes, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(constants);
        string? name = constants.HasValue(File) ? constants.Get(File) : null;
        return ValueTask.FromResult(name is null || LatentFiles.Resolve(services, name) is not null
            ? ValidationResult.Ok
            : ValidationResult.Fail(InvalidFile(name)));
    }

    private static string InvalidFile(string name) => $"Invalid latent file: {name}";
}
