using System.Buffers.Binary;
using System.Net;
using System.Text.Json.Nodes;
using ComfySharp.Protocol;
using ComfySharp.TestKit;
using ComfySharp.Torch.Images;
using Xunit;

namespace ComfySharp.Server.Tests.Service;

/// <summary>
/// With <c>--auth</c> each user has their own <c>input/</c> and <c>temp/</c> (uploads, <c>/view</c>, LoadImage,
/// previews), reads the shared files an admin uploaded, and receives only their own prompts' binary frames;
/// over real HTTP and WebSockets on Kestrel.
/// </summary>
public sealed class UserFilesTests
{
    private static byte[] Png(int width, int height, byte shade) =>
        PngFile.Encode(new PixelBuffer(width, height, 3, Enumerable.Repeat(shade, width * height * 3).ToArray()), 1);

    private static (int Width, int Height) PngSize(byte[] png) =>
        (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));

    private static async Task<JsonObject> UploadAsync(AuthServer auth, string user, string name, byte[] bytes, string? type = null, string route = "upload/image")
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "image", name } };
        if (type is not null)
        {
            form.Add(new StringContent(type), "type");
        }
        using HttpResponseMessage response = await auth.As(user).PostAsync(route, form);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{user} upload {name}: {response.StatusCode} {text}");
        return (JsonObject)JsonNode.Parse(text)!;
    }

    private static async Task<(HttpStatusCode Status, byte[] Body)> ViewAsync(AuthServer auth, string user, string query)
    {
        using HttpResponseMessage response = await auth.As(user).GetAsync("view?" + query);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<JsonObject> RunAsync(AuthServer auth, string user, string id, JsonObject graph)
    {
        await auth.PromptAsync(user, id, graph);
        await ComfyTestServer.WaitUntilAsync(async () => ((JsonObject)(await auth.GetJsonAsync(user, $"history/{id}"))!).Count > 0);
        var entry = (JsonObject)(await auth.GetJsonAsync(user, $"history/{id}"))![id]!;
        Assert.True((string?)entry["status"]!["status_str"] == "success", entry.ToJsonString());
        return (JsonObject)entry["outputs"]!;
    }

    private static JsonObject LoadAndSave(string image) => new()
    {
        ["1"] = new JsonObject { ["class_type"] = "LoadImage", ["inputs"] = new JsonObject { ["image"] = image } },
        ["2"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0), ["filename_prefix"] = "loaded" } },
    };

    private static async Task<(int Width, int Height)> SavedSizeAsync(AuthServer auth, string user, JsonObject outputs)
    {
        JsonNode image = outputs["2"]!["images"]![0]!;
        var (status, body) = await ViewAsync(auth, user, $"filename={Uri.EscapeDataString((string)image["filename"]!)}&subfolder={Uri.EscapeDataString((string)image["subfolder"]!)}&type=output");
        Assert.Equal(HttpStatusCode.OK, status);
        return PngSize(body);
    }

    private static async Task<List<string>> LoadImageOptionsAsync(AuthServer auth, string user) =>
        (await auth.GetJsonAsync(user, "object_info/LoadImage"))!["LoadImage"]!["input"]!["required"]!["image"]![0]!.AsArray().Select(n => (string)n!).ToList();

    [Fact]
    public async Task Each_user_uploads_views_and_loads_only_their_own_inputs_and_the_shared_ones()
    {
        await using AuthServer auth = await AuthServer.StartAsync();
        string input = Path.Combine(auth.Directory, "input");
        // An admin's upload lands in the shared input/ root; users' uploads in input/u_NAME, answered with the name and subfolder they sent.
        JsonObject shared = await UploadAsync(auth, "root", "shared.png", Png(5, 1, 90));
        JsonObject alicePic = await UploadAsync(auth, "alice", "pic.png", Png(2, 2, 10));
        JsonObject bobPic = await UploadAsync(auth, "bob", "pic.png", Png(3, 1, 200));
        Assert.Equal("shared.png", (string?)shared["name"]);
        Assert.Equal(["pic.png", "", "input"], new[] { alicePic, bobPic }.SelectMany(r => new[] { (string)r["name"]!, (string)r["subfolder"]!, (string)r["type"]! }).Distinct());
        Assert.True(File.Exists(Path.Combine(input, "shared.png")));
        Assert.Equal((2, 2), PngSize(await File.ReadAllBytesAsync(Path.Combine(input, "u_alice", "pic.png"))));
        Assert.Equal((3, 1), PngSize(await File.ReadAllBytesAsync(Path.Combine(input, "u_bob", "pic.png"))));
        Assert.False(File.Exists(Path.Combine(input, "pic.png")));
        // Identical bytes again: the same name (the duplicate check looks in the user's own folder).
        Assert.Equal("pic.png", (string?)(await UploadAsync(auth, "bob", "pic.png", Png(3, 1, 200)))["name"]);

        // /view of an input: each user gets their own file under the same name; another user's folder is not reachable.
        Assert.Equal((2, 2), PngSize((await ViewAsync(auth, "alice", "filename=pic.png&type=input")).Body));
        Assert.Equal((3, 1), PngSize((await ViewAsync(auth, "bob", "filename=pic.png&type=input")).Body));
        Assert.Equal((5, 1), PngSize((await ViewAsync(auth, "alice", "filename=shared.png&type=input")).Body));
        Assert.Equal(HttpStatusCode.NotFound, (await ViewAsync(auth, "alice", "filename=pic.png&subfolder=u_bob&type=input")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await ViewAsync(auth, "alice", "filename=pic.png&subfolder=../u_bob&type=input")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ViewAsync(auth, "alice", "filename=pic.png [input]&subfolder=u_bob&type=output")).Status);
        // Admins see the whole folder.
        Assert.Equal((3, 1), PngSize((await ViewAsync(auth, "root", "filename=pic.png&subfolder=u_bob&type=input")).Body));
        Assert.Equal(HttpStatusCode.NotFound, (await ViewAsync(auth, "root", "filename=pic.png&type=input")).Status);

        // LoadImage's list: the user's own files and the shared ones; an admin's: the shared folder.
        Assert.Equal(["pic.png", "shared.png"], await LoadImageOptionsAsync(auth, "alice"));
        Assert.Equal(["pic.png", "shared.png"], await LoadImageOptionsAsync(auth, "bob"));
        Assert.Equal(["shared.png"], await LoadImageOptionsAsync(auth, "root"));

        // LoadImage reads the user's own file of that name (and the shared one); the worker runs each prompt in its owner's folder.
        Assert.Equal((2, 2), await SavedSizeAsync(auth, "alice", await RunAsync(auth, "alice", "a-load", LoadAndSave("pic.png"))));
        Assert.Equal((3, 1), await SavedSizeAsync(auth, "bob", await RunAsync(auth, "bob", "b-load", LoadAndSave("pic.png"))));
        Assert.Equal((5, 1), await SavedSizeAsync(auth, "bob", await RunAsync(auth, "bob", "b-shared", LoadAndSave("shared.png"))));
        Assert.Equal((3, 1), await SavedSizeAsync(auth, "root", await RunAsync(auth, "root", "r-load", LoadAndSave("u_bob/pic.png"))));

        // Another user's input or output, by any spelling, is an invalid image file for the prompt.
        JsonNode bobOutput = (await auth.GetJsonAsync("bob", "history/b-load"))!["b-load"]!["outputs"]!["2"]!["images"]![0]!;
        string bobOutputName = $"{bobOutput["subfolder"]}/{bobOutput["filename"]} [output]";
        foreach (string name in new[] { "u_bob/pic.png", "../u_bob/pic.png", "x/../u_bob/pic.png", "u_bob/pic.png [input]", bobOutputName })
        {
            using HttpResponseMessage refused = await auth.PostAsync("alice", "prompt", new JsonObject { ["prompt"] = LoadAndSave(name) });
            string text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest && text.Contains("Invalid image file", StringComparison.Ordinal), $"{name}: {refused.StatusCode} {text}");
        }
        // The owner loads their own output through the annotation.
        Assert.Equal((3, 1), await SavedSizeAsync(auth, "bob", await RunAsync(auth, "bob", "b-out", LoadAndSave(bobOutputName))));

        // The mask editor's upload merges into the user's own original.
        using (var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Png(2, 2, 0)), "image", "mask.png" },
            { new StringContent("""{"filename": "pic.png", "subfolder": "", "type": "input"}"""), "original_ref" },
        })
        {
            using HttpResponseMessage masked = await auth.As("alice").PostAsync("upload/mask", form);
            Assert.Equal(HttpStatusCode.OK, masked.StatusCode);
        }
        Assert.Equal((2, 2), PngSize(await File.ReadAllBytesAsync(Path.Combine(input, "u_alice", "mask.png"))));

        // Uploads to output/ go under the user's output folder, as their saved images do; /internal/files lists only theirs.
        JsonObject outUpload = await UploadAsync(auth, "alice", "up.png", Png(1, 1, 1), type: "output");
        Assert.Equal("u_alice", (string?)outUpload["subfolder"]);
        Assert.Equal(HttpStatusCode.OK, (await ViewAsync(auth, "alice", "filename=up.png&subfolder=u_alice&type=output")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await ViewAsync(auth, "bob", "filename=up.png&subfolder=u_alice&type=output")).Status);
        var aliceOutputs = (await auth.GetJsonAsync("alice", "internal/files/output"))!.AsArray().Select(n => (string)n!).ToList();
        Assert.Contains("u_alice/up.png", aliceOutputs);
        Assert.All(aliceOutputs, n => Assert.StartsWith("u_alice/", n, StringComparison.Ordinal));
        Assert.DoesNotContain((await auth.GetJsonAsync("bob", "internal/files/output"))!.AsArray(), n => ((string)n!).Contains("up.png", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Previews_land_in_each_users_temp_folder_even_for_identical_prompts()
    {
        await using AuthServer auth = await AuthServer.StartAsync();
        var graph = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "StubImage", ["inputs"] = new JsonObject { ["content"] = "WHITE", ["height"] = 4, ["width"] = 6, ["batch_size"] = 1 } },
            ["2"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0) } },
        };
        JsonNode alicePreview = (await RunAsync(auth, "alice", "a-prev", (JsonObject)graph.DeepClone()))["2"]!["images"]![0]!;
        // Bob's identical prompt is not answered from alice's cached preview: it writes his own.
        JsonNode bobPreview = (await RunAsync(auth, "bob", "b-prev", (JsonObject)graph.DeepClone()))["2"]!["images"]![0]!;
        foreach (JsonNode image in new[] { alicePreview, bobPreview })
        {
            Assert.Equal("temp", (string?)image["type"]);
            Assert.Equal("", (string?)image["subfolder"]);
        }
        string aliceView = $"filename={Uri.EscapeDataString((string)alicePreview["filename"]!)}&type=temp";
        string bobView = $"filename={Uri.EscapeDataString((string)bobPreview["filename"]!)}&type=temp";
        Assert.Equal((6, 4), PngSize((await ViewAsync(auth, "alice", aliceView)).Body));
        Assert.Equal((6, 4), PngSize((await ViewAsync(auth, "bob", bobView)).Body));
        if ((string?)alicePreview["filename"] != (string?)bobPreview["filename"])
        {
            Assert.Equal(HttpStatusCode.NotFound, (await ViewAsync(auth, "bob", aliceView)).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await ViewAsync(auth, "alice", bobView)).Status);
        }
        string temp = Path.Combine(auth.Directory, "temp");
        Assert.True(File.Exists(Path.Combine(temp, "u_alice", (string)alicePreview["filename"]!)));
        Assert.True(File.Exists(Path.Combine(temp, "u_bob", (string)bobPreview["filename"]!)));
        Assert.Empty(Directory.GetFiles(temp));
        // An admin finds them under the users' folders.
        Assert.Equal(HttpStatusCode.OK, (await ViewAsync(auth, "root", aliceView + "&subfolder=u_alice")).Status);
        Assert.Equal([(string)alicePreview["filename"]!], (await auth.GetJsonAsync("alice", "internal/files/temp"))!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public async Task Binary_frames_reach_only_the_sockets_of_the_prompts_owner()
    {
        await using AuthServer auth = await AuthServer.StartAsync();
        // Every socket uses the same clientId: with --auth socket ids are scoped per user.
        await using var alice = await ComfyWebSocketClient.ConnectAsync(new Uri(auth.Server.BaseAddress, $"ws?clientId=same&token={auth.Keys["alice"].Key}"));
        await using var bob = await ComfyWebSocketClient.ConnectAsync(new Uri(auth.Server.BaseAddress, $"ws?clientId=same&token={auth.Keys["bob"].Key}"));
        await using var root = await ComfyWebSocketClient.ConnectAsync(new Uri(auth.Server.BaseAddress, $"ws?clientId=same&token={auth.Keys["root"].Key}"));
        await using var bobOther = await ComfyWebSocketClient.ConnectAsync(new Uri(auth.Server.BaseAddress, $"ws?token={auth.Keys["bob"].Key}"));
        foreach (ComfyWebSocketClient socket in new[] { alice, bob, root, bobOther })
        {
            await socket.WaitForAsync(f => f.Text is not null && f.Type == "status");
        }
        // SaveImageWebsocket sends each image as a binary preview frame (event 1) and GetImageSize a text frame (event 3).
        var graph = new JsonObject
        {
            ["1"] = new JsonObject { ["class_type"] = "StubImage", ["inputs"] = new JsonObject { ["content"] = "BLACK", ["height"] = 3, ["width"] = 5, ["batch_size"] = 2 } },
            ["2"] = new JsonObject { ["class_type"] = "SaveImageWebsocket", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0) } },
            ["3"] = new JsonObject { ["class_type"] = "GetImageSize", ["inputs"] = new JsonObject { ["image"] = new JsonArray("1", 0) } },
            ["4"] = new JsonObject { ["class_type"] = "PreviewAny", ["inputs"] = new JsonObject { ["source"] = new JsonArray("3", 0) } },
        };
        await auth.PromptAsync("alice", "a-bin", graph, clientId: "same");
        await alice.WaitForCompletionAsync("a-bin");
        // Bob's own prompt afterwards (another size, so GetImageSize is not answered from the cache): once his
        // sockets have its frames, anything of alice's would have come before.
        var bobGraph = (JsonObject)graph.DeepClone();
        bobGraph["1"]!["inputs"]!["width"] = 7;
        await auth.PromptAsync("bob", "b-bin", bobGraph, clientId: "same");
        await bob.WaitForCompletionAsync("b-bin");
        await bobOther.WaitForAsync(f => f.Text is not null && f.Type == "status" && (int?)f.Data!["status"]!["exec_info"]!["queue_remaining"] == 0);
        await root.WaitForAsync(f => f.Text is not null && f.Type == "status" && (int?)f.Data!["status"]!["exec_info"]!["queue_remaining"] == 0);

        static List<uint> Events(ComfyWebSocketClient socket) => socket.Received.Where(f => f.Binary is not null).Select(f => BinaryPrimitives.ReadUInt32BigEndian(f.Binary)).ToList();
        List<WsFrame> aliceBinary = alice.Received.Where(f => f.Binary is not null).ToList();
        Assert.Equal(2, aliceBinary.Count(f => BinaryFrames.ReadEventType(f.Binary) == 1));
        Assert.Contains(aliceBinary, f => BinaryFrames.ReadEventType(f.Binary) == 3 && System.Text.Encoding.UTF8.GetString(f.Binary!).Contains("width: 5, height: 3", StringComparison.Ordinal));
        // Bob's socket with the same clientId received his own prompt's frames only (two previews and one text).
        Assert.Equal([1u, 1u, 3u], Events(bob).Order());
        Assert.Contains(bob.Received, f => f.Binary is not null && System.Text.Encoding.UTF8.GetString(f.Binary).Contains("width: 7, height: 3", StringComparison.Ordinal));
        Assert.Empty(Events(bobOther));
        Assert.Empty(Events(root));
        Assert.DoesNotContain(alice.Received, f => f.Text?.Contains("b-bin", StringComparison.Ordinal) == true);
    }
}
