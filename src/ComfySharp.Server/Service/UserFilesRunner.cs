using ComfySharp.Abstractions.Files;
using ComfySharp.Engine;
using ComfySharp.Engine.Queue;
using Microsoft.Extensions.DependencyInjection;

namespace ComfySharp.Server.Service;

/// <summary>
/// With authentication on, runs each prompt inside its owner's <see cref="UserFileScope"/> (recorded at
/// submission under <see cref="PromptOwnership.FilesKey"/>), so LoadImage and the other input readers see
/// that user's <c>input/u_NAME</c> (and the shared files), previews land in <c>temp/u_NAME</c>, and output
/// nodes are cached per user. Admins' prompts run with the whole folders.
/// </summary>
internal sealed class UserFilesRunner(IPromptRunner inner) : IPromptRunner
{
    public (string DisplayNodeId, string? ClientId)? Current => inner.Current;

    public async Task<ExecutionRecord> RunAsync(QueuedPrompt prompt, IExecutionMessageSink sink, string defaultPreviewMethod, CancellationToken interrupt)
    {
        // Set inside this async method: the scope covers the run and ends with it, never reaching the worker's loop.
        UserFileScope.Enter(PromptOwnership.FilesOf(prompt));
        return await inner.RunAsync(prompt, sink, defaultPreviewMethod, interrupt).ConfigureAwait(false);
    }

    public void ClearCaches() => inner.ClearCaches();

    /// <summary>Wraps whatever <see cref="IPromptRunner"/> is registered (the executor, or a test's runner).</summary>
    public static void Decorate(IServiceCollection services)
    {
        ServiceDescriptor registered = services.Last(d => d.ServiceType == typeof(IPromptRunner));
        services.Remove(registered);
        services.AddSingleton<IPromptRunner>(sp => new UserFilesRunner(
            registered.ImplementationInstance as IPromptRunner
            ?? registered.ImplementationFactory?.Invoke(sp) as IPromptRunner
            ?? (IPromptRunner)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!)));
    }
}
