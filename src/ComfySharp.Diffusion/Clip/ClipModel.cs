using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.SafeTensors;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Clip;

// Entry point for checkpoint loaders:
//   ClipModel ClipModel.FromCheckpoint(SafeTensorsFile file, string prefix = ClipModel.Sd1CheckpointPrefix)
// loads the SD1.x CLIP-L text encoder strictly from the keys under `prefix` (keys outside it are ignored).

/// <summary>
/// The CLIP value of the graph: a shared text encoder plus this branch's options (the layer to read, LoRA
/// patches, the embeddings folder). Cloning never copies weights.
/// </summary>
public sealed class ClipModel
{
    /// <summary>Where an SD1.x checkpoint keeps the text encoder.</summary>
    public const string Sd1CheckpointPrefix = "cond_stage_model.transformer.text_model.";

    private const string TokenEmbeddingSuffix = "embeddings.token_embedding.weight";

    /// <summary>Wraps an encoder.</summary>
    public ClipModel(ClipTextEncoder encoder, ClipPromptTokenizer? tokenizer = null, int? layerIndex = null,
        IReadOnlyList<WeightPatch>? patches = null, ITextualInversionSource? embeddings = null)
    {
        Encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        Tokenizer = tokenizer ?? ClipPromptTokenizer.Sd1;
        LayerIndex = layerIndex;
        Patches = patches ?? [];
        Embeddings = embeddings;
    }

    /// <summary>The shared text transformer.</summary>
    public ClipTextEncoder Encoder { get; }

    /// <summary>The prompt tokenizer.</summary>
    public ClipPromptTokenizer Tokenizer { get; }

    /// <summary>The layer whose output is used (negative from the end, e.g. -2 = clip skip 2); null = last layer.</summary>
    public int? LayerIndex { get; }

    /// <summary>Weight patches (keys are <see cref="ClipTextEncoder"/> parameter names, e.g. <c>encoder.layers.0.mlp.fc1.weight</c>).</summary>
    public IReadOnlyList<WeightPatch> Patches { get; }

    /// <summary>Where <c>embedding:name</c> references are resolved; null = none exist.</summary>
    public ITextualInversionSource? Embeddings { get; }

    /// <summary>A copy reading the output of layer <paramref name="layerIndex"/> (CLIPSetLastLayer).</summary>
    public ClipModel WithLayer(int? layerIndex) => new(Encoder, Tokenizer, layerIndex, Patches, Embeddings);

    /// <summary>A copy with more patches (LoRA).</summary>
    public ClipModel WithPatches(IEnumerable<WeightPatch> more) => new(Encoder, Tokenizer, LayerIndex, [.. Patches, .. more], Embeddings);

    /// <summary>A copy resolving embeddings from <paramref name="embeddings"/>.</summary>
    public ClipModel WithEmbeddings(ITextualInversionSource? embeddings) => new(Encoder, Tokenizer, LayerIndex, Patches, embeddings);

    /// <summary>Loads the text encoder under <paramref name="prefix"/> of a checkpoint, strictly (fp16 storage).</summary>
    public static ClipModel FromCheckpoint(SafeTensorsFile file, string prefix = Sd1CheckpointPrefix)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        string[] keys = [.. file.KeysWithPrefix(prefix).Select(k => k[prefix.Length..])];
        if (keys.Length == 0)
        {
            throw new InvalidOperationException($"'{Path.GetFileName(file.FilePath)}' has no CLIP text encoder weights under '{prefix}'.");
        }
        return FromWeights(keys, key => file.Load(prefix + key));
    }

    /// <summary>
    /// Loads a standalone text encoder file (CLIPLoader): the prefix is found from the token embedding key, so
    /// <c>text_model.*</c>, <c>transformer.text_model.*</c> and <c>cond_stage_model.transformer.text_model.*</c> all work.
    /// </summary>
    public static ClipModel FromTextEncoderFile(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string? embeddingKey = file.Keys.FirstOrDefault(k => k.EndsWith(TokenEmbeddingSuffix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"'{Path.GetFileName(file.FilePath)}' is not a CLIP text encoder (no {TokenEmbeddingSuffix}).");
        string prefix = embeddingKey[..^TokenEmbeddingSuffix.Length];
        if (prefix.Length == 0)
        {
            // Bare keys: everything in the file belongs to the text model except a projection head.
            string[] keys = [.. file.Keys.Where(k => !k.StartsWith("text_projection", StringComparison.Ordinal) && k != "logit_scale")];
            return FromWeights(keys, key => file.Load(key));
        }
        return FromCheckpoint(file, prefix);
    }

    /// <summary>Builds from in-memory weights keyed by parameter name (e.g. <c>final_layer_norm.weight</c>).</summary>
    public static ClipModel FromWeights(IReadOnlyDictionary<string, Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return FromWeights([.. weights.Keys], key => weights[key]);
    }

    private static ClipModel FromWeights(IReadOnlyList<string> keys, Func<string, Tensor> load)
    {
        ClipTextConfig config = InferConfig(keys, load);
        var encoder = new ClipTextEncoder(config);
        try
        {
            encoder.LoadWeights(load, keys);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        return new ClipModel(encoder);
    }

    private static ClipTextConfig InferConfig(IReadOnlyList<string> keys, Func<string, Tensor> load)
    {
        using var scope = NewDisposeScope();
        if (!keys.Contains(TokenEmbeddingSuffix) || !keys.Contains("encoder.layers.0.mlp.fc1.weight") || !keys.Contains("embeddings.position_embedding.weight"))
        {
            throw new InvalidOperationException("The weights are not a CLIP text transformer in the Hugging Face layout.");
        }
        long[] token = load(TokenEmbeddingSuffix).shape;
        long positions = load("embeddings.position_embedding.weight").shape[0];
        long intermediate = load("encoder.layers.0.mlp.fc1.weight").shape[0];
        int layers = keys.Select(k => k.StartsWith("encoder.layers.", StringComparison.Ordinal) && int.TryParse(k.Split('.')[2], out int n) ? n + 1 : 0).Max();
        return new ClipTextConfig((int)token[0], (int)positions, (int)token[1], layers, (int)token[1] / 64, (int)intermediate);
    }

    /// <summary>Tokenises with this model's tokenizer and embeddings (CLIP.tokenize).</summary>
    public TokenizedPrompt Tokenize(string text) => Tokenizer.Tokenize(text, Embeddings);

    /// <summary>
    /// Encodes tokenised text as the reference does: all chunks in one batch (plus the empty sequence when any
    /// weight differs from 1), weights applied as z = (z - z_empty) * w + z_empty per position, chunks
    /// concatenated along the tokens; pooled output from chunk 1. Returns cond [1, 77 * chunks, width] and
    /// pooled [1, width] in float32, owned by the caller's dispose scope.
    /// </summary>
    public (Tensor Cond, Tensor Pooled) EncodeTokens(TokenizedPrompt tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        using var scope = NewDisposeScope();
        var rows = new List<IReadOnlyList<ClipToken>>(tokens.Chunks);
        bool weighted = tokens.HasWeights;
        if (weighted)
        {
            int length = tokens.Chunks.Max(c => c.Count);
            rows.Add(EmptyRow(length));
        }
        Dictionary<string, Tensor>? overrides = PatchedWeights();
        (Tensor hidden, Tensor pooled) = Encoder.Forward(rows, LayerIndex, overrides);
        var outputs = new List<Tensor>();
        for (int k = 0; k < tokens.Chunks.Count; k++)
        {
            Tensor z = hidden[k];
            if (weighted)
            {
                Tensor empty = hidden[rows.Count - 1];
                z = z.clone();
                for (int j = 0; j < tokens.Chunks[k].Count; j++)
                {
                    double w = tokens.Chunks[k][j].Weight;
                    if (w != 1.0)
                    {
                        z[j] = (z[j] - empty[j]).Mul(w).Add(empty[j]);
                    }
                }
            }
            outputs.Add(z.unsqueeze(0));
        }
        Tensor cond = cat(outputs, 1);
        Tensor firstPooled = pooled.narrow(0, 0, 1);
        return (cond.MoveToOuterDisposeScope(), firstPooled.MoveToOuterDisposeScope());
    }

    /// <summary>Tokenises and encodes into a CONDITIONING with one entry carrying <c>pooled_output</c>.</summary>
    public Conditioning EncodeToConditioning(string text)
    {
        (Tensor cond, Tensor pooled) = EncodeTokens(Tokenize(text));
        return [new ConditioningEntry(cond, new Dictionary<string, object?>(StringComparer.Ordinal) { ["pooled_output"] = pooled })];
    }

    private static List<ClipToken> EmptyRow(int length)
    {
        var row = new List<ClipToken> { new(ClipBpeTokenizer.StartToken, 1.0, 0), new(ClipBpeTokenizer.EndToken, 1.0, 0) };
        while (row.Count < length)
        {
            row.Add(new ClipToken(ClipBpeTokenizer.EndToken, 1.0, 0));
        }
        return row;
    }

    /// <summary>
    /// Patched weights for this call: computed in float32 from the stored weight, then rounded back to the storage
    /// type (fp16) as the reference does.
    /// </summary>
    private Dictionary<string, Tensor>? PatchedWeights()
    {
        if (Patches.Count == 0)
        {
            return null;
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (IGrouping<string, WeightPatch> group in Patches.GroupBy(p => p.Key, StringComparer.Ordinal))
        {
            Tensor stored = Encoder.GetStoredWeight(group.Key);
            Tensor original = stored.to_type(ScalarType.Float32);
            Tensor weight = original.clone();
            foreach (WeightPatch patch in group)
            {
                using Tensor delta = patch.ComputeDelta(original);
                weight.AddScaledInPlace(delta.to_type(ScalarType.Float32).reshape(weight.shape), patch.Strength);
            }
            result[group.Key] = weight.to_type(stored.dtype);
        }
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => $"ClipModel(layers={Encoder.Config.Layers}, layer={LayerIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "last"}, patches={Patches.Count})";
}
