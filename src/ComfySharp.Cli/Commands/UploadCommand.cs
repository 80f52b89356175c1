using System.CommandLine;
using ComfySharp.Client;

namespace ComfySharp.Cli.Commands;

/// <summary><c>comfysharp upload</c>: Upload an image (POST /upload/image).</summary>
internal static class UploadCommand
{
    public static Command Create(CliOutput output)
    {
        var file = new Argument<string>("file") { Description = "Image file to upload" };
        var subfolder = new Option<string?>("--subfolder") { Description = "Sub-directory on the server" };
        var type = new Option<string>("--type") { Description = "input, temp or output", DefaultValueFactory = _ => "input" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a file of the same name" };
        var command = new Command("upload", "Upload an image (POST /upload/image)") { file, subfolder, type, overwrite };
        command.SetAction((parse, ct) => CliApp.Guard(output, parse, async client =>
        {
            string path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new CliInputException($"file '{path}' not found");
            }
            ImageRef stored = await client.UploadImageFileAsync(path, parse.GetValue(subfolder), parse.GetValue(type)!, parse.GetValue(overwrite), ct).ConfigureAwait(false);
            output.Line($"{stored.Type}/{(stored.Subfolder.Length > 0 ? stored.Subfolder + "/" : "")}{stored.Filename}");
            return 0;
        }));
        return command;
    }
}
