namespace ComfySharp.Abstractions;

/// <summary>
/// A node failure that names the Python exception type clients should see in <c>exception_type</c>
/// (e.g. <c>ZeroDivisionError</c>, <c>IndexError</c>), when no .NET exception maps to it naturally.
/// </summary>
public sealed class NodeException : Exception
{
    /// <summary>Creates a failure of the given Python type.</summary>
    public NodeException(string pythonType, string message) : base(message) => PythonType = pythonType;

    /// <summary>Creates a RuntimeError.</summary>
    public NodeException() : this("RuntimeError", "") { }

    /// <summary>Creates a RuntimeError.</summary>
    public NodeException(string message) : this("RuntimeError", message) { }

    /// <summary>Creates a RuntimeError wrapping another exception.</summary>
    public NodeException(string message, Exception innerException) : base(message, innerException) => PythonType = "RuntimeError";

    /// <summary>The Python exception class name.</summary>
    public string PythonType { get; } = "RuntimeError";
}
