namespace ComfySharp.Abstractions;

/// <summary>A registered node class: its schema and how to create an instance.</summary>
/// <param name="Schema">The static schema.</param>
/// <param name="NodeType">The CLR type implementing it.</param>
/// <param name="Create">Creates a fresh instance.</param>
public sealed record NodeRegistration(NodeSchema Schema, Type NodeType, Func<ComfyNode> Create);

/// <summary>A set of nodes registered together (core nodes, the conformance pack).</summary>
public interface INodePack
{
    /// <summary>Adds the pack's nodes to the registry.</summary>
    void Register(NodeRegistry registry);
}

/// <summary>
/// The node classes known to one server instance, in registration order. Injected into the engine and
/// the server; never global.
/// </summary>
public sealed class NodeRegistry
{
    private readonly Dictionary<string, NodeRegistration> _byClass = new(StringComparer.Ordinal);
    private readonly List<NodeRegistration> _ordered = [];

    /// <summary>Registered nodes in registration order.</summary>
    public IReadOnlyList<NodeRegistration> All => _ordered;

    /// <summary>Registers a node class with a parameterless constructor.</summary>
    public NodeRegistry Add<T>() where T : ComfyNode, new() => Add(typeof(T), () => new T());

    /// <summary>Registers a node class with a factory.</summary>
    public NodeRegistry Add(Type nodeType, Func<ComfyNode> create)
    {
        ArgumentNullException.ThrowIfNull(nodeType);
        ArgumentNullException.ThrowIfNull(create);
        NodeSchema schema = create().Schema;
        if (!_byClass.TryAdd(schema.ClassType, new NodeRegistration(schema, nodeType, create)))
        {
            throw new InvalidOperationException($"Node class '{schema.ClassType}' is registered twice.");
        }
        _ordered.Add(_byClass[schema.ClassType]);
        return this;
    }

    /// <summary>Registers every node of a pack.</summary>
    public NodeRegistry AddPack(INodePack pack)
    {
        ArgumentNullException.ThrowIfNull(pack);
        pack.Register(this);
        return this;
    }

    /// <summary>Looks up a class.</summary>
    public bool TryGet(string classType, out NodeRegistration registration) =>
        _byClass.TryGetValue(classType, out registration!);

    /// <summary>True when the class is registered.</summary>
    public bool Contains(string classType) => _byClass.ContainsKey(classType);
}
