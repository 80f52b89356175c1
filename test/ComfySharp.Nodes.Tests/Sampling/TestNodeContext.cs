using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Abstractions.Files;

namespace ComfySharp.Nodes.Tests.Sampling;

/// <summary>A node context that records progress reports; services hold model folders over a temp directory.</summary>
internal sealed class TestNodeContext(string previewMethod = "none", IServiceProvider? services = null) : NodeContext
{
    public List<(double Value, double Max, PreviewImage? Preview)> Progress { get; } = [];

    public override string PromptId => "test-prompt";
    public override string NodeId => "3";
    public override string DisplayNodeId => "3";
    public override int CallIndex => 0;
    public override JsonObject Prompt { get; } = [];
    public override JsonObject? ExtraPngInfo => null;
    public override JsonObject ExtraData { get; } = [];
    public override IDynamicPrompt DynamicPrompt => throw new NotSupportedException();
    public override IServiceProvider Services { get; } = services ?? new Provider([]);
    public override CancellationToken CancellationToken => TestContextToken;
    public override string PreviewMethod => previewMethod;

    private static CancellationToken TestContextToken => Xunit.TestContext.Current.CancellationToken;

    public override void ReportProgress(double value, double max, PreviewImage? preview = null)
    {
        Progress.Add((value, max, preview));
        CancellationToken.ThrowIfCancellationRequested();
    }

    public override void SendText(string text) { }

    public override string NextExpansionPrefix() => "3.0.0.";

    public static IServiceProvider WithModelFolders(string root)
    {
        var directories = new ComfyDirectories(root);
        return new Provider(new Dictionary<Type, object> { [typeof(ModelFolders)] = new ModelFolders(directories), [typeof(ComfyDirectories)] = directories });
    }

    private sealed class Provider(Dictionary<Type, object> services) : IServiceProvider
    {
        public object? GetService(Type serviceType) => services.GetValueOrDefault(serviceType);
    }
}
