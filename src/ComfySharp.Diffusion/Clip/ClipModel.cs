using ComfySharp.Diffusion.Models;
using ComfySharp.Torch.Tensors;
using static TorchSharp.torch;

namespace ComfySharp.Diffusion.Clip;

/// <summary>Which text-encoder family a CLIP value is (decides the towers and how their outputs combine).</summary>
public enum ClipKind
{
    /// <summary>SD 1.x: CLIP-L, last layer by default.</summary>
    Sd1,
    /// <summary>SD 2.x: OpenCLIP ViT-H, penultimate layer with the final layer norm.</summary>
    Sd2,
    /// <summary>SDXL base: CLIP-L and OpenCLIP ViT-bigG, both penultimate without final norm, concatenated.</summary>
    Sdxl,
    /// <summary>SDXL refiner: OpenCLIP ViT-bigG alone, penultimate without final norm.</summary>
    SdxlRefiner,
}

/// <summary>One text tower of a CLIP value.</summary>
/// <param name="Name">Tower name as the reference's tokenizer keys it (<c>l</c>, <c>g</c>, <c>h</c>).</param>
/// <param name="Encoder">The shared transformer.</param>
/// <param name="Tokenizer">Its tokenizer (pad token, embedding width).</param>
/// <param name="Layer">Layer read (negative from the end), or null for the last layer after the final norm.</param>
/// <param name="NormalizeHidden">Whether an intermediate layer's output gets the final layer norm.</param>
public sealed record ClipTower(string Name, ClipTextEncoder Encoder, ClipPromptTokenizer Tokenizer, int? Layer, bool NormalizeHidden)
{
    /// <summary>Prefix of this tower's parameters in weight-patch keys of a multi-tower model (<c>clip_l.</c>, <c>clip_g.</c>).</summary>
    public string PatchPrefix => $"clip_{Name}.";
}

/// <summary>
/// The CLIP value of the graph: shared text encoders (one tower for SD1/SD2, CLIP-L + bigG for SDXL) plus this
/// branch's options (the layer to read, LoRA patches, the embeddings folder). Cloning never copies weights.
/// </summary>
public sealed partial class ClipModel
{
    /// <summary>Wraps an SD1.x CLIP-L encoder.</summary>
    public ClipModel(ClipTextEncoder encoder, ClipPromptTokenizer? tokenizer = null, int? layerIndex = null,
        IReadOnlyList<WeightPatch>? patches = null, ITextualInversionSource? embeddings = null)
        : this(ClipKind.Sd1, [new ClipTower("l", encoder ?? throw new ArgumentNullException(nameof(encoder)), tokenizer ?? ClipPromptTokenizer.Sd1, layerIndex, true)], patches, embeddings)
    {
    }

    /// <summary>Wraps towers of the given kind.</summary>
    public ClipModel(ClipKind kind, IReadOnlyList<ClipTower> towers, IReadOnlyList<WeightPatch>? patches = null, ITextualInversionSource? embeddings = null)
    {
        ArgumentNullException.ThrowIfNull(towers);
        if (towers.Count == 0)
        {
            throw new ArgumentException("A CLIP needs at least one text tower.", nameof(towers));
        }
        Kind = kind;
        Towers = towers;
        Patches = patches ?? [];
        Embeddings = embeddings;
    }

    /// <summary>The family.</summary>
    public ClipKind Kind { get; }

    /// <summary>The text towers, in the order their outputs are concatenated.</summary>
    public IReadOnlyList<ClipTower> Towers { get; }

    /// <summary>The first tower's transformer (the only one for SD1/SD2).</summary>
    public ClipTextEncoder Encoder => Towers[0].Encoder;

    /// <summary>The first tower's tokenizer.</summary>
    public ClipPromptTokenizer Tokenizer => Towers[0].Tokenizer;

    /// <summary>The first tower's layer (negative from the end, e.g. -2 = clip skip 2); null = last layer.</summary>
    public int? LayerIndex => Towers[0].Layer;

    /// <summary>
    /// Weight patches. Keys are <see cref="ClipTextEncoder"/> parameter names (e.g. <c>encoder.layers.0.mlp.fc1.weight</c>);
    /// with several towers each key starts with the tower's <see cref="ClipTower.PatchPrefix"/>.
    /// </summary>
    public IReadOnlyList<WeightPatch> Patches { get; }

    /// <summary>Where <c>embedding:name</c> references are resolved; null = none exist.</summary>
    public ITextualInversionSource? Embeddings { get; }

    /// <summary>Bytes held by the weights of all towers.</summary>
    public long WeightBytes => Towers.Sum(t => t.Encoder.parameters().Sum(p => p.NumberOfElements * p.ElementSize));

    /// <summary>A copy reading the output of layer <paramref name="layerIndex"/> in every tower.</summary>
    public ClipModel WithLayer(int? layerIndex) => new(Kind, [.. Towers.Select(t => t with { Layer = layerIndex })], Patches, Embeddings) { HookSettings = HookSettings };

    /// <summary>
    /// CLIPSetLastLayer: each tower reads layer <paramref name="layer"/> (negative), or its last layer when the tower
    /// has fewer layers than |layer|.
    /// </summary>
    public ClipModel WithClipLayer(int layer) =>
        new(Kind, [.. Towers.Select(t => t with { Layer = Math.Abs(layer) > t.Encoder.Config.Layers ? null : layer })], Patches, Embeddings) { HookSettings = HookSettings };

    /// <summary>A copy with more patches (LoRA).</summary>
    public ClipModel WithPatches(IEnumerable<WeightPatch> more) => new(Kind, Towers, [.. Patches, .. more], Embeddings) { HookSettings = HookSettings };

    /// <summary>A copy resolving embeddings from <paramref name="embeddings"/>.</summary>
    public ClipModel WithEmbeddings(ITextualInversionSource? embeddings) => new(Kind, Towers, Patches, embeddings) { HookSettings = HookSettings };

    /// <summary>The hooks SetClipHooks set (applied by <see cref="Hooks.HookedClipEncoding"/>), or null.</summary>
    public Hooks.ClipHookSettings? HookSettings { get; init; }

    /// <summary>A copy carrying <paramref name="settings"/> as its hooks (SetClipHooks).</summary>
    public ClipModel WithHookSettings(Hooks.ClipHookSettings? settings) => new(Kind, Towers, Patches, Embeddings) { HookSettings = settings };

    /// <summary>Tokenises with every tower's tokenizer and this model's embeddings (CLIP.tokenize).</summary>
    public TokenizedPrompt Tokenize(string text)
    {
        if (Towers.Count == 1)
        {
            return Tokenizer.Tokenize(text, Embeddings);
        }
        var byTower = Towers.ToDictionary(t => t.Name, t => t.Tokenizer.Tokenize(text, Embeddings), StringComparer.Ordinal);
        return FromTowers(byTower);
    }

    /// <summary>Tokenises <paramref name="text"/> with the tower named <paramref name="tower"/> only.</summary>
    public TokenizedPrompt TokenizeTower(string tower, string text) =>
        Towers.FirstOrDefault(t => t.Name == tower) is { } found
            ? found.Tokenizer.Tokenize(text, Embeddings)
            : throw new ArgumentException($"This CLIP has no '{tower}' tower.", nameof(tower));

    /// <summary>Combines per-tower tokens into one prompt value (for CLIPTextEncodeSDXL).</summary>
    public static TokenizedPrompt FromTowers(IReadOnlyDictionary<string, TokenizedPrompt> byTower)
    {
        ArgumentNullException.ThrowIfNull(byTower);
        TokenizedPrompt first = byTower.Values.First();
        return new TokenizedPrompt(first.Chunks, [.. byTower.Values.SelectMany(t => t.Warnings)]) { ByTower = byTower };
    }

    /// <summary>
    /// Encodes tokenised text as the reference does, per tower: all chunks in one batch (plus the tower's empty
    /// sequence when any weight differs from 1), weights applied as z = (z - z_empty) * w + z_empty per position,
    /// chunks concatenated along the tokens. Towers with fewer chunks get empty chunks (start, end, padding); their
    /// conds are concatenated on the last dimension. The pooled output is the last tower's, from chunk 1.
    /// Returns cond [1, 77 * chunks, width] and pooled [1, width] in float32, owned by the caller's dispose scope.
    /// </summary>
    public (Tensor Cond, Tensor Pooled) EncodeTokens(TokenizedPrompt tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        using var scope = NewDisposeScope();
        var perTower = Towers.Select(t => tokens.ByTower is { } map && map.TryGetValue(t.Name, out TokenizedPrompt? own) ? own : tokens).ToList();
        int chunks = perTower.Max(p => p.Chunks.Count);
        var conds = new List<Tensor>();
        Tensor? pooled = null;
        for (int i = 0; i < Towers.Count; i++)
        {
            (Tensor cond, Tensor towerPooled) = EncodeTower(Towers[i], perTower[i], chunks);
            conds.Add(cond);
            pooled = towerPooled;
        }
        Tensor result = conds.Count == 1 ? conds[0] : cat(conds, -1);
        return (result.MoveToOuterDisposeScope(), pooled!.MoveToOuterDisposeScope());
    }

    /// <summary>Tokenises and encodes into a CONDITIONING with one entry carrying <c>pooled_output</c>.</summary>
    public Conditioning EncodeToConditioning(string text)
    {
        (Tensor cond, Tensor pooled) = EncodeTokens(Tokenize(text));
        return [new ConditioningEntry(cond, new Dictionary<string, object?>(StringComparer.Ordinal) { ["pooled_output"] = pooled })];
    }

    private (Tensor Cond, Tensor Pooled) EncodeTower(ClipTower tower, TokenizedPrompt tokens, int chunkCount)
    {
        var rows = new List<IReadOnlyList<ClipToken>>(tokens.Chunks);
        while (rows.Count < chunkCount)
        {
            rows.Add(EmptyRow(tower, ClipPromptTokenizer.ChunkLength));
        }
        int realChunks = rows.Count;
        bool weighted = tokens.HasWeights;
        if (weighted)
        {
            rows.Add(EmptyRow(tower, rows.Max(c => c.Count)));
        }
        Dictionary<string, Tensor>? overrides = PatchedWeights(tower);
        (Tensor hidden, Tensor pooled) = tower.Encoder.Forward(rows, tower.Layer, overrides, tower.NormalizeHidden);
        var outputs = new List<Tensor>();
        for (int k = 0; k < realChunks; k++)
        {
            Tensor z = hidden[k];
            if (weighted)
            {
                Tensor empty = hidden[rows.Count - 1];
                z = z.clone();
                for (int j = 0; j < rows[k].Count; j++)
                {
                    double w = rows[k][j].Weight;
                    if (w != 1.0)
                    {
                        z[j] = (z[j] - empty[j]).Mul(w).Add(empty[j]);
                    }
                }
            }
            outputs.Add(z.unsqueeze(0));
        }
        return (cat(outputs, 1), pooled.narrow(0, 0, 1));
    }

    private static List<ClipToken> EmptyRow(ClipTower tower, int length)
    {
        var row = new List<ClipToken> { new(ClipBpeTokenizer.StartToken, 1.0, 0), new(ClipBpeTokenizer.EndToken, 1.0, 0) };
        while (row.Count < length)
        {
            row.Add(new ClipToken(tower.Tokenizer.PadToken, 1.0, 0));
        }
        return row;
    }

    /// <summary>
    /// Patched weights of one tower for this call: computed in float32 from the stored weight, then rounded back to
    /// the storage type (fp16) as the reference does.
    /// </summary>
    private Dictionary<string, Tensor>? PatchedWeights(ClipTower tower)
    {
        string prefix = Towers.Count == 1 ? "" : tower.PatchPrefix;
        var mine = Patches.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (mine.Count == 0)
        {
            return null;
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (IGrouping<string, WeightPatch> group in mine.GroupBy(p => p.Key[prefix.Length..], StringComparer.Ordinal))
        {
            Tensor stored = tower.Encoder.GetStoredWeight(group.Key);
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

    /// <summary>Disposes every tower's weights (for owners of a loaded model).</summary>
    public void DisposeEncoders()
    {
        foreach (ClipTower tower in Towers)
        {
            tower.Encoder.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"ClipModel({Kind}, {string.Join("+", Towers.Select(t => $"{t.Name}:{t.Encoder.Config.Layers}@{t.Layer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "last"}"))}, patches={Patches.Count})";
}
