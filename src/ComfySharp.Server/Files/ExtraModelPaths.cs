using ComfySharp.Abstractions.Files;
using YamlDotNet.RepresentationModel;

namespace ComfySharp.Server.Files;

/// <summary>Reads <c>extra_model_paths.yaml</c> files into <see cref="ModelFolders"/> (FILES.md §2.1).</summary>
public static class ExtraModelPaths
{
    /// <summary>Applies one YAML file. Returns the number of paths added.</summary>
    public static int Apply(ModelFolders folders, string yamlPath)
    {
        ArgumentNullException.ThrowIfNull(folders);
        string fullYaml = Path.GetFullPath(yamlPath);
        string yamlDir = Path.GetDirectoryName(fullYaml)!;
        var stream = new YamlStream();
        using (var reader = new StreamReader(fullYaml))
        {
            stream.Load(reader);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return 0;
        }
        int added = 0;
        foreach (var (_, sectionNode) in root.Children)
        {
            if (sectionNode is not YamlMappingNode section)
            {
                continue; // an empty (null) section is skipped
            }
            string? basePath = null;
            bool isDefault = false;
            foreach (var (keyNode, valueNode) in section.Children)
            {
                string key = ((YamlScalarNode)keyNode).Value ?? "";
                if (key == "base_path" && valueNode is YamlScalarNode b && b.Value is string bp)
                {
                    basePath = Expand(bp);
                    if (!Path.IsPathRooted(basePath))
                    {
                        basePath = Path.GetFullPath(Path.Combine(yamlDir, basePath));
                    }
                }
                else if (key == "is_default" && valueNode is YamlScalarNode d)
                {
                    isDefault = string.Equals(d.Value, "true", StringComparison.OrdinalIgnoreCase);
                }
            }
            foreach (var (keyNode, valueNode) in section.Children)
            {
                string folder = ((YamlScalarNode)keyNode).Value ?? "";
                if (folder is "base_path" or "is_default" || valueNode is not YamlScalarNode { Value: string value })
                {
                    continue;
                }
                foreach (string line in value.Split('\n'))
                {
                    string entry = line.Trim();
                    if (entry.Length == 0)
                    {
                        continue;
                    }
                    entry = Expand(entry);
                    string full = basePath is not null ? Path.Combine(basePath, entry) : Path.Combine(yamlDir, entry);
                    folders.AddPath(folder, Path.GetFullPath(full).TrimEnd(Path.DirectorySeparatorChar), isDefault);
                    added++;
                }
            }
        }
        return added;
    }

    private static string Expand(string path)
    {
        string expanded = Environment.ExpandEnvironmentVariables(path);
        if (expanded.StartsWith('~'))
        {
            expanded = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + expanded[1..];
        }
        // $VAR and ${VAR} as os.path.expandvars does.
        return System.Text.RegularExpressions.Regex.Replace(expanded, @"\$\{(\w+)\}|\$(\w+)",
            m => Environment.GetEnvironmentVariable(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value) ?? m.Value);
    }
}
