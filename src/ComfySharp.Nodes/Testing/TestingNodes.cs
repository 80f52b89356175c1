using ComfySharp.Abstractions;

namespace ComfySharp.Nodes.Testing;

/// <summary>The conformance node pack of TESTPACK.md, loaded only with <c>--test-nodes</c>.</summary>
public sealed class TestingNodes : INodePack
{
    /// <inheritdoc />
    public void Register(NodeRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
    }
}
