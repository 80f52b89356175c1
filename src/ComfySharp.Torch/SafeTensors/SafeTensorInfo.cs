namespace ComfySharp.Torch.SafeTensors;

/// <summary>One tensor entry of a safetensors header.</summary>
/// <param name="Key">The tensor name.</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The shape (C order); empty for a scalar.</param>
/// <param name="DataBegin">First byte, relative to the start of the data section.</param>
/// <param name="DataEnd">One past the last byte, relative to the start of the data section.</param>
public sealed record SafeTensorInfo(string Key, SafeTensorsDType DType, long[] Shape, long DataBegin, long DataEnd)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Number of bytes.</summary>
    public long ByteLength => DataEnd - DataBegin;
}
