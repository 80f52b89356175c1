using System.Buffers.Binary;
using System.Text;
using ComfySharp.TestKit;
using ComfySharp.Torch.SafeTensors;
using Xunit;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Tests.SafeTensors;

public sealed class SafeTensorsFileTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory("safetensors");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Writes 8-byte length + header text + data bytes.</summary>
    private string WriteRaw(string header, int dataBytes, string name = "raw.safetensors", ulong? declaredLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        byte[] file = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredLength ?? (ulong)json.Length);
        json.CopyTo(file, 8);
        string path = PathOf(name);
        File.WriteAllBytes(path, file);
        return path;
    }

    [Fact]
    public void Round_trips_every_dtype_with_metadata()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f16"] = tensor(new float[] { 1.5f, -2.25f, 65504f }).to_type(ScalarType.Float16),
            ["bf16"] = tensor(new float[] { 1.5f, -3f }).to_type(ScalarType.BFloat16),
            ["f32"] = arange(12, ScalarType.Float32).reshape(3, 4) / 7,
            ["f64"] = tensor(new[] { Math.PI, -Math.E }),
            ["i64"] = tensor(new long[] { long.MinValue, 0, long.MaxValue }),
            ["i32"] = tensor(new[] { -5, 7 }),
            ["i8"] = tensor(new sbyte[] { -128, 127 }),
            ["u8"] = tensor(new byte[] { 0, 255, 3 }),
            ["bool"] = tensor(new[] { true, false, true }),
            ["empty"] = zeros(new long[] { 0, 3 }),
            ["scalar"] = tensor(42f),
        };
        string path = PathOf("all.safetensors");
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ü" });

        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        Assert.Equal(tensors.Keys, file.Keys);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("ü", file.Metadata["note"]);
        Assert.Equal(0, (file.DataOffset) % 8);
        foreach ((string key, Tensor expected) in tensors)
        {
            Tensor loaded = file.Load(key);
            TensorAssert.Identical(expected, loaded, key);
        }
        Assert.Equal(SafeTensorsDType.BF16, file.GetInfo("bf16").DType);
        Assert.Equal(file.Keys, file.KeysWithPrefix(""));
        Assert.Equal(["f16", "f32", "f64"], file.KeysWithPrefix("f"));
    }

    [Fact]
    public void Load_converts_dtype_on_request()
    {
        using var scope = NewDisposeScope();
        string path = PathOf("h.safetensors");
        SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = tensor(new float[] { 0.5f, -1f }).to_type(ScalarType.Float16) });
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        Tensor w = file.Load("w", ScalarType.Float32);
        Assert.Equal(ScalarType.Float32, w.dtype);
        Assert.Equal(new[] { 0.5f, -1f }, w.data<float>().ToArray());
        Dictionary<string, Tensor> all = file.LoadWithPrefix("");
        Assert.Equal(ScalarType.Float16, all["w"].dtype);
        Assert.Throws<KeyNotFoundException>(() => file.Load("missing"));
    }

    [Fact]
    public void Header_is_compact_and_padded_to_eight_bytes()
    {
        SafeTensorsLayout layout = SafeTensorsWriter.Plan([("a", SafeTensorsDType.F16, new long[] { 2, 3 }), ("b", SafeTensorsDType.I64, new long[] { 1 })]);
        Assert.Equal("{\"a\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[12,20]}}",
            SafeTensorsWriter.HeaderText(layout));
        Assert.Equal(0, layout.Header.Length % 8);
        Assert.Equal(20, layout.DataLength);
    }

    [Theory]
    [InlineData("model.ckpt")]
    [InlineData("model.pt")]
    [InlineData("model.pth")]
    [InlineData("model.bin")]
    [InlineData("model.pkl")]
    public void Pickle_formats_are_refused_with_the_reason(string name)
    {
        string path = PathOf(name);
        File.WriteAllBytes(path, [0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);
        var e = Assert.Throws<UnsafeModelFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("arbitrary code", e.Message);
        Assert.Contains(".safetensors", e.Message);
    }

    [Fact]
    public void Pickle_renamed_to_safetensors_is_refused()
    {
        string path = PathOf("renamed.safetensors");
        File.WriteAllBytes(path, [(byte)'P', (byte)'K', 3, 4, 0, 0, 0, 0, 0, 0]);
        Assert.Throws<UnsafeModelFormatException>(() => SafeTensorsFile.Open(path));
    }

    public static TheoryData<string, int, string> HostileHeaders => new()
    {
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "truncated" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "malformed JSON" },
        { "[1,2]", 0, "not a JSON object" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlaps" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "gap" },
        { "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unsupported dtype" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "too large" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "non-negative" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "reversed" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "needs dtype, shape and data_offsets" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "duplicate" },
        { "{\"__metadata__\":{\"x\":1}}", 0, "must be a string" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16, "data section has 16 bytes" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[[[[[[[[[[2]]]]]]]]]],\"data_offsets\":[0,8]}}", 8, "" },
    };

    [Theory]
    [MemberData(nameof(HostileHeaders))]
    public void Hostile_headers_fail_with_a_clear_exception(string header, int dataBytes, string expected)
    {
        string path = WriteRaw(header, dataBytes);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("raw.safetensors", e.Message);
    }

    [Fact]
    public void Huge_declared_header_length_is_refused_without_allocating()
    {
        string path = WriteRaw("{}", 0, declaredLength: ulong.MaxValue);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("declares a header of", e.Message);

        path = WriteRaw("{}", 0, "big.safetensors", declaredLength: 50_000_000);
        e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Tiny_files_are_refused()
    {
        string path = PathOf("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
    }

    [Fact]
    public void Empty_header_object_is_a_valid_empty_file()
    {
        string path = WriteRaw("{}      ", 0);
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }
}
