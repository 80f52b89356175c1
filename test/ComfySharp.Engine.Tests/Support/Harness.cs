using System.Text.Json.Nodes;
using ComfySharp.Abstractions;
using ComfySharp.Engine.Execution;
using ComfySharp.Engine.Validation;
using ComfySharp.Nodes.Testing;

namespace ComfySharp.Engine.Tests.Support;

/// <summary>A registry with the conformance pack and the core stand-ins, a validator and an executor.</summary>
public sealed class Harness
{
    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }

    private int _promptCounter;

    public Harness(CacheOptions? cache = null)
    {
        Registry = new NodeRegistry();
        Registry.Add<EmptyImage>().Add<EmptyLatentImage>().Add<ImageInvert>().Add<SaveImage>().Add<PreviewImage>().Add<TestAddOne>().Add<TestCapture>().Add<TestPreviewMethodProbe>();
        Registry.AddPack(new TestingNodes());
        Services = new NoServices();
        Validator = new PromptValidator(Registry, Services);
        Executor = new PromptExecutor(Registry, Services, cache ?? new CacheOptions());
    }

    public NodeRegistry Registry { get; }
    public IServiceProvider Services { get; }
    public PromptValidator Validator { get; }
    public PromptExecutor Executor { get; }

    public static string SharedSpec => Path.Combine(RepositoryRoot(), "..", "shared", "spec");

    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ComfySharp.slnx"))) { dir = Path.GetDirectoryName(dir); }
        return dir!;
    }

    public static JsonObject Sample(string name) => (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(SharedSpec, "samples", name)))!;

    public async Task<PromptValidation> ValidateAsync(JsonObject prompt, IReadOnlyList<string>? targets = null) =>
        await Validator.ValidateAsync(prompt, targets, CancellationToken.None);

    public async Task<(PromptValidation Validation, ExecutionRecord? Record, RecordingSink Sink)> RunAsync(
        string promptJson, IReadOnlyList<string>? targets = null, RecordingSink? sink = null,
        JsonObject? extraData = null, string defaultPreviewMethod = "none", CancellationToken interrupt = default)
    {
        var prompt = (JsonObject)JsonNode.Parse(promptJson)!;
        var validation = await ValidateAsync(prompt, targets);
        sink ??= new RecordingSink();
        if (!validation.IsValid) { return (validation, null, sink); }
        extraData ??= [];
        extraData["client_id"] = "c1";
        var queued = new QueuedPrompt(_promptCounter, false, $"p{_promptCounter++}", prompt, extraData, validation.OutputsToExecute);
        var record = await Executor.ExecuteAsync(queued, sink, defaultPreviewMethod, interrupt);
        return (validation, record, sink);
    }
}
