using System.Text.Json.Nodes;

namespace ComfySharp.Abstractions;

/// <summary>Encoding of a preview image sent over the WebSocket.</summary>
public enum PreviewFormat
{
    /// <summary>Binary frame format 1.</summary>
    Jpeg = 1,
    /// <summary>Binary frame format 2.</summary>
    Png = 2,
}

/// <summary>An encoded preview image, already resized to fit the preview size.</summary>
/// <param name="Format">JPEG or PNG.</param>
/// <param name="Data">The encoded bytes.</param>
public sealed record PreviewImage(PreviewFormat Format, ReadOnlyMemory<byte> Data);

/// <summary>The live graph of a running prompt, including nodes created by expansion (hidden input DYNPROMPT).</summary>
public interface IDynamicPrompt
{
    /// <summary>True when a node with this id exists (original or ephemeral).</summary>
    bool HasNode(string nodeId);

    /// <summary>The node's <c>{"class_type", "inputs"}</c> object.</summary>
    JsonObject GetNode(string nodeId);

    /// <summary>The id the UI shows for a node (an ephemeral node's original ancestor).</summary>
    string GetDisplayNodeId(string nodeId);
}

/// <summary>
/// What a running node can see and do besides its inputs: identity, hidden values, services,
/// cancellation (interrupts), progress and previews. Implemented by the executor.
/// </summary>
public abstract class NodeContext
{
    /// <summary>The prompt being executed.</summary>
    public abstract string PromptId { get; }

    /// <summary>The id of the node being executed (an ephemeral id such as <c>5.0.0.1</c> for expanded nodes). Hidden UNIQUE_ID.</summary>
    public abstract string NodeId { get; }

    /// <summary>The id the UI highlights for this node.</summary>
    public abstract string DisplayNodeId { get; }

    /// <summary>Index of the list-mapping call (EXECUTION.md §7.2), used in ephemeral ids.</summary>
    public abstract int CallIndex { get; }

    /// <summary>The submitted graph after coercion (hidden PROMPT).</summary>
    public abstract JsonObject Prompt { get; }

    /// <summary><c>extra_data.extra_pnginfo</c> (hidden EXTRA_PNGINFO), or null.</summary>
    public abstract JsonObject? ExtraPngInfo { get; }

    /// <summary>The prompt's whole <c>extra_data</c> object (without sensitive values).</summary>
    public abstract JsonObject ExtraData { get; }

    /// <summary>The live graph (hidden DYNPROMPT).</summary>
    public abstract IDynamicPrompt DynamicPrompt { get; }

    /// <summary>Application services (paths, model manager, options).</summary>
    public abstract IServiceProvider Services { get; }

    /// <summary>Cancelled when the prompt is interrupted. Long loops must observe it.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>The effective preview method for this prompt: <c>none</c>, <c>auto</c>, <c>latent2rgb</c> or <c>taesd</c>.</summary>
    public abstract string PreviewMethod { get; }

    /// <summary>Previews are resized to fit a square of this many pixels (default 512).</summary>
    public virtual int PreviewMaxSize => 512;

    /// <summary>
    /// Reports progress (e.g. a sampler step: <paramref name="value"/> = step + 1) with an optional
    /// preview. Also checks for an interrupt and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public abstract void ReportProgress(double value, double max, PreviewImage? preview = null);

    /// <summary>
    /// Integer progress (sampler steps, batch items): like <see cref="ReportProgress(double, double, PreviewImage?)"/>
    /// but the numbers travel as JSON integers, as the reference sends them.
    /// </summary>
    public virtual void ReportProgress(long value, long max, PreviewImage? preview = null) => ReportProgress((double)value, (double)max, preview);

    /// <summary>
    /// The reference's progress API (<c>set_progress</c>): updates only <c>progress_state</c>, does not clamp the
    /// value and does not check for an interrupt.
    /// </summary>
    public virtual void SetProgress(double value, double max) => ReportProgress(Math.Min(value, max), max);

    /// <summary>Sends a text for this node to every client (binary frame type 3).</summary>
    public abstract void SendText(string text);

    /// <summary>Returns a new prefix <c>"&lt;node id&gt;.&lt;call index&gt;.&lt;graph index&gt;."</c> for ids of nodes this call adds by expansion.</summary>
    public abstract string NextExpansionPrefix();

    /// <summary>Throws <see cref="OperationCanceledException"/> when the prompt was interrupted.</summary>
    public void ThrowIfInterrupted() => CancellationToken.ThrowIfCancellationRequested();

    /// <summary>A required service.</summary>
    public T GetService<T>() where T : class => Services.GetService(typeof(T)) as T
        ?? throw new InvalidOperationException($"Service {typeof(T).Name} is not registered.");
}
