namespace ComfySharp.Cli;

/// <summary>Bad command-line input, reported as one line.</summary>
internal sealed class CliInputException(string message) : Exception(message);
