namespace ComfySharp.Torch.Images;

/// <summary>An image file that cannot be decoded: unknown format, corrupt data, or too many pixels.</summary>
public sealed class ImageFormatException : Exception
{
    /// <summary>Creates the exception with a message meant for the user.</summary>
    public ImageFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ImageFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a default message.</summary>
    public ImageFormatException() : base("The image could not be decoded.") { }
}
