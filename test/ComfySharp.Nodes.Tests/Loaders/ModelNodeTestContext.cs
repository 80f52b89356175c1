using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;

namespace ComfySharp.Nodes.Tests.Loaders;

/// <summary>A node context over a temporary ComfyUI layout with the given services.</summary>
public sealed class ModelNodeTestContext : NodeContext, IServiceProvider
{
    private readonly Dictionary<Type, object> _services = [];

    public ModelNodeTestContext(string baseDirectory)
    {
        Directories = new ComfyDirectories(baseDirectory);
        Folders = new ModelFolders(Directories);
        Add(Directories);
        Add(Folders);
    }

    public ComfyDirectories Directories { get; }

    public ModelFolders Folders { get; }

    public ModelNodeTestContext Add<T>(T service) where T : class
    {
        _services[typeof(T)] = service;
        return this;
    }

    public object? GetService(Type serviceType) => _services.GetValueOrDefault(serviceType);

    public override string PromptId => "test-prompt";
    public override string NodeId => "1";
    public override string DisplayNodeId => "1";
    public override int CallIndex => 0;
    public override JsonObject Prompt { get; } = [];
    public override JsonObject? ExtraPngInfo => null;
    public override JsonObject ExtraData { get; } = [];
    public override IDynamicPrompt DynamicPrompt => throw new NotSupportedException();
    public override IServiceProvider Services => this;
    public override CancellationToken CancellationToken => CancellationToken.None;
    public override string PreviewMethod => "none";
    public override void ReportProgress(double value, double max, PreviewImage? preview = null) { }
    public override void SendText(string text) { }
    public override string NextExpansionPrefix() => "1.0.0.";
}
