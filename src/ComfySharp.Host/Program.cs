// The comfysharp executable: with no subcommand it starts the server; client subcommands act on a server.
Console.Error.WriteLine("comfysharp: the server lands with issue 2.");
return 1;
