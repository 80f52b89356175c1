// The comfysharp executable. With no subcommand it is the server, taking the reference's main.py flags;
// with a client subcommand as first argument (`comfysharp run ...`) it acts on a running server.
using ComfySharp.Host;

if (args.Length > 0 && AccountCommands.IsSubcommand(args[0]))
{
    return AccountCommands.Run(args, Console.Out, Console.Error);
}

if (args.Length > 0 && ClientCommands.IsSubcommand(args[0]))
{
    return await ClientCommands.RunAsync(args);
}

try
{
    ServerFlags flags = ServerFlags.Parse(args);
    if (flags.Has("--help") || flags.Has("-h"))
    {
        Console.Write(ServerFlags.Usage);
        return 0;
    }
    return await ServerStartup.RunAsync(flags, ["comfysharp", .. args]);
}
catch (FlagException ex)
{
    Console.Error.Write(ServerFlags.Usage);
    Console.Error.WriteLine($"comfysharp: error: {ex.Message}");
    return 2;
}
