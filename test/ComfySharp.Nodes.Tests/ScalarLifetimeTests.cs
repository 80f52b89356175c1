using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Xunit;

namespace ComfySharp.Nodes.Tests;

/// <summary>
/// TorchSharp frees a <c>Scalar</c> only in its finalizer, and neither its implicit conversions nor its
/// <c>Tensor op number</c> operators keep the Scalar reachable while libtorch reads it: a garbage
/// collection started by another thread (the server always has some) can free it in the middle of the
/// native call, which crashed the server under load. Tensor + Tensor is affected too: TorchSharp's
/// <c>a + b</c>, <c>a.add(b)</c> and <c>a.add_(b)</c> pass an implicit alpha Scalar of 1. Our code therefore never lets TorchSharp make a
/// Scalar behind its back: it uses <c>ComfySharp.Torch.Tensors.ScalarMath</c> (explicit Scalars disposed
/// after the call) or an explicit <c>using Scalar s = value.ToScalar()</c>. This test reads the IL of
/// our TorchSharp-using assemblies and lists every place that breaks the rule.
/// </summary>
public sealed class ScalarLifetimeTests
{
    private static readonly string[] Primitives = ["Double", "Single", "Int32", "Int64", "Boolean", "Int16", "Byte", "SByte"];

    public static TheoryData<string> Assemblies =>
    [
        typeof(ComfySharp.Torch.Latent).Assembly.Location,
        typeof(ComfySharp.Diffusion.Conditioning).Assembly.Location,
        typeof(CoreNodes).Assembly.Location,
    ];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_scalar_is_created_implicitly(string assemblyPath)
    {
        var offenders = FindImplicitScalars(assemblyPath);
        Assert.True(offenders.Count == 0,
            $"{Path.GetFileName(assemblyPath)}: {offenders.Values.Sum()} implicit Scalar(s) in {offenders.Count} method(s):\n" +
            string.Join("\n", offenders.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"  {kv.Key}: {kv.Value}")));
    }

    [Fact]
    public void The_scan_finds_an_implicit_scalar()
    {
        // The test assembly itself holds one on purpose (below), so the scanner is known to see them.
        var offenders = FindImplicitScalars(typeof(ScalarLifetimeTests).Assembly.Location);
        Assert.Contains(offenders.Keys, k => k.EndsWith(nameof(Offender) + "." + nameof(Offender.Twice), StringComparison.Ordinal));
        Assert.Contains(offenders.Keys, k => k.EndsWith(nameof(Offender) + "." + nameof(Offender.Sum), StringComparison.Ordinal));
    }

    private static class Offender
    {
        public static TorchSharp.torch.Tensor Twice(TorchSharp.torch.Tensor t) => t * 2.0;

        public static TorchSharp.torch.Tensor Sum(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) => a + b;
    }

    /// <summary>Method name → number of call sites that create a Scalar implicitly.</summary>
    internal static Dictionary<string, int> FindImplicitScalars(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var offenders = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var handle in metadata.MethodDefinitions)
        {
            var method = metadata.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0)
            {
                continue;
            }
            var type = metadata.GetTypeDefinition(method.GetDeclaringType());
            string name = metadata.GetString(type.Name) + "." + metadata.GetString(method.Name);
            var il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILReader();
            while (il.RemainingBytes > 0)
            {
                int first = il.ReadByte();
                var opcode = first == 0xFE ? (ILOpCode)(0xFE00 | il.ReadByte()) : (ILOpCode)first;
                if (opcode is ILOpCode.Call or ILOpCode.Callvirt or ILOpCode.Newobj or ILOpCode.Ldftn)
                {
                    var target = MetadataTokens.EntityHandle(il.ReadInt32());
                    if (CreatesScalar(metadata, target))
                    {
                        offenders[name] = offenders.GetValueOrDefault(name) + 1;
                    }
                }
                else if (opcode == ILOpCode.Switch)
                {
                    il.Offset += 4 * il.ReadInt32();
                }
                else
                {
                    il.Offset += OperandSize(opcode);
                }
            }
        }
        return offenders;
    }

    private static bool CreatesScalar(MetadataReader metadata, EntityHandle target)
    {
        if (target.Kind == HandleKind.MethodSpecification)
        {
            return false;
        }
        if (target.Kind != HandleKind.MemberReference)
        {
            return false;
        }
        var member = metadata.GetMemberReference((MemberReferenceHandle)target);
        if (member.Parent.Kind != HandleKind.TypeReference)
        {
            return false;
        }
        var parent = metadata.GetTypeReference((TypeReferenceHandle)member.Parent);
        string parentName = metadata.GetString(parent.Name);
        string memberName = metadata.GetString(member.Name);
        if (parentName == "Scalar" && memberName == "op_Implicit")
        {
            return true;
        }
        // linalg.vector_norm makes its ord Scalar inside TorchSharp and drops it during the call (ScalarMath.VectorNorm).
        if (parentName == "linalg" && memberName == "vector_norm")
        {
            return true;
        }
        bool isOperator = memberName.StartsWith("op_", StringComparison.Ordinal);
        if (parentName != "Tensor" || !(isOperator || memberName is "add" or "add_"))
        {
            return false;
        }
        var signature = metadata.GetBlobReader(member.Signature);
        var decoded = new SignatureDecoder<string, object?>(new TypeNames(), metadata, null).DecodeMethodSignature(ref signature);
        // a + b, a.add(b) and a.add_(b) call add(b, alpha: 1) with an implicit Scalar inside TorchSharp; so do the
        // one-argument t.add(scalar) and t.add_(scalar) (read from TorchSharp 0.107's IL).
        if ((memberName is "op_Addition" && decoded.ParameterTypes.All(p => p == "Tensor") && decoded.ParameterTypes.Length == 2)
            || (memberName is "add" or "add_" && decoded.ParameterTypes.Length == 1))
        {
            return true;
        }
        // Tensor operators with a number operand build a Scalar inside TorchSharp and drop it at once.
        return isOperator && decoded.ParameterTypes.Any(p => Primitives.Contains(p, StringComparer.Ordinal));
    }

    private static int OperandSize(ILOpCode opcode) => opcode switch
    {
        ILOpCode.Ldarg_s or ILOpCode.Ldarga_s or ILOpCode.Starg_s or ILOpCode.Ldloc_s or ILOpCode.Ldloca_s or ILOpCode.Stloc_s
            or ILOpCode.Ldc_i4_s or ILOpCode.Br_s or ILOpCode.Brfalse_s or ILOpCode.Brtrue_s or ILOpCode.Beq_s or ILOpCode.Bge_s
            or ILOpCode.Bgt_s or ILOpCode.Ble_s or ILOpCode.Blt_s or ILOpCode.Bne_un_s or ILOpCode.Bge_un_s or ILOpCode.Bgt_un_s
            or ILOpCode.Ble_un_s or ILOpCode.Blt_un_s or ILOpCode.Leave_s or ILOpCode.Unaligned => 1,
        ILOpCode.Ldarg or ILOpCode.Ldarga or ILOpCode.Starg or ILOpCode.Ldloc or ILOpCode.Ldloca or ILOpCode.Stloc => 2,
        ILOpCode.Ldc_i8 or ILOpCode.Ldc_r8 => 8,
        ILOpCode.Ldc_i4 or ILOpCode.Ldc_r4 or ILOpCode.Br or ILOpCode.Brfalse or ILOpCode.Brtrue or ILOpCode.Beq or ILOpCode.Bge
            or ILOpCode.Bgt or ILOpCode.Ble or ILOpCode.Blt or ILOpCode.Bne_un or ILOpCode.Bge_un or ILOpCode.Bgt_un or ILOpCode.Ble_un
            or ILOpCode.Blt_un or ILOpCode.Leave or ILOpCode.Jmp or ILOpCode.Calli or ILOpCode.Cpobj or ILOpCode.Ldobj
            or ILOpCode.Ldstr or ILOpCode.Castclass or ILOpCode.Isinst or ILOpCode.Unbox or ILOpCode.Ldfld or ILOpCode.Ldflda
            or ILOpCode.Stfld or ILOpCode.Ldsfld or ILOpCode.Ldsflda or ILOpCode.Stsfld or ILOpCode.Stobj or ILOpCode.Box
            or ILOpCode.Newarr or ILOpCode.Ldelema or ILOpCode.Ldelem or ILOpCode.Stelem or ILOpCode.Unbox_any or ILOpCode.Refanyval
            or ILOpCode.Mkrefany or ILOpCode.Ldtoken or ILOpCode.Ldvirtftn or ILOpCode.Initobj or ILOpCode.Constrained
            or ILOpCode.Sizeof => 4,
        _ => 0,
    };

    /// <summary>Just enough of a signature decoder to name parameter types.</summary>
    private sealed class TypeNames : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";
        public string GetByReferenceType(string elementType) => elementType + "&";
        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType;
        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;
        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;
        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
        public string GetPinnedType(string elementType) => elementType;
        public string GetPointerType(string elementType) => elementType + "*";
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeDefinition(handle).Name);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeReference(handle).Name);
        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) => "spec";
    }
}
