using static TorchSharp.torch;

namespace ComfySharp.Torch.SafeTensors;

/// <summary>The element types a safetensors file may declare (the subset this reader accepts).</summary>
public enum SafeTensorsDType
{
    /// <summary>IEEE half precision.</summary>
    F16,
    /// <summary>bfloat16.</summary>
    BF16,
    /// <summary>IEEE single precision.</summary>
    F32,
    /// <summary>IEEE double precision.</summary>
    F64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Boolean stored as one byte.</summary>
    BOOL,
}

/// <summary>Conversions between safetensors dtype names, element sizes and TorchSharp scalar types.</summary>
public static class SafeTensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.I16 => 2,
        _ => 1,
    };

    /// <summary>The matching TorchSharp scalar type.</summary>
    public static ScalarType ToScalarType(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F16 => ScalarType.Float16,
        SafeTensorsDType.BF16 => ScalarType.BFloat16,
        SafeTensorsDType.F32 => ScalarType.Float32,
        SafeTensorsDType.F64 => ScalarType.Float64,
        SafeTensorsDType.I64 => ScalarType.Int64,
        SafeTensorsDType.I32 => ScalarType.Int32,
        SafeTensorsDType.I16 => ScalarType.Int16,
        SafeTensorsDType.I8 => ScalarType.Int8,
        SafeTensorsDType.U8 => ScalarType.Byte,
        SafeTensorsDType.BOOL => ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>The safetensors dtype for a TorchSharp scalar type.</summary>
    /// <exception cref="NotSupportedException">The scalar type has no safetensors equivalent here.</exception>
    public static SafeTensorsDType FromScalarType(ScalarType type) => type switch
    {
        ScalarType.Float16 => SafeTensorsDType.F16,
        ScalarType.BFloat16 => SafeTensorsDType.BF16,
        ScalarType.Float32 => SafeTensorsDType.F32,
        ScalarType.Float64 => SafeTensorsDType.F64,
        ScalarType.Int64 => SafeTensorsDType.I64,
        ScalarType.Int32 => SafeTensorsDType.I32,
        ScalarType.Int16 => SafeTensorsDType.I16,
        ScalarType.Int8 => SafeTensorsDType.I8,
        ScalarType.Byte => SafeTensorsDType.U8,
        ScalarType.Bool => SafeTensorsDType.BOOL,
        _ => throw new NotSupportedException($"Tensors of type {type} cannot be stored in safetensors by this writer."),
    };

    /// <summary>Parses the dtype name used in headers (e.g. <c>F16</c>); null when unknown.</summary>
    public static SafeTensorsDType? TryParse(string name) => name switch
    {
        "F16" => SafeTensorsDType.F16,
        "BF16" => SafeTensorsDType.BF16,
        "F32" => SafeTensorsDType.F32,
        "F64" => SafeTensorsDType.F64,
        "I64" => SafeTensorsDType.I64,
        "I32" => SafeTensorsDType.I32,
        "I16" => SafeTensorsDType.I16,
        "I8" => SafeTensorsDType.I8,
        "U8" => SafeTensorsDType.U8,
        "BOOL" => SafeTensorsDType.BOOL,
        _ => null,
    };

    /// <summary>The dtype name used in headers.</summary>
    public static string ToHeaderName(this SafeTensorsDType dtype) => dtype.ToString();
}
