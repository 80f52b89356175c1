namespace ComfySharp.Torch.SafeTensors;

/// <summary>A safetensors file whose header or layout is invalid.</summary>
public sealed class SafeTensorsFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SafeTensorsFormatException() { }

    /// <summary>Creates the exception with a message.</summary>
    public SafeTensorsFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SafeTensorsFormatException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A model file in a format that this server refuses to load (pickle-based checkpoints).</summary>
public sealed class UnsafeModelFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnsafeModelFormatException() { }

    /// <summary>Creates the exception with a message.</summary>
    public UnsafeModelFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public UnsafeModelFormatException(string message, Exception innerException) : base(message, innerException) { }
}
