namespace FlowActors.Node.Tests.Harness;

/// <summary>
/// Reads the block-style YAML subset our manifests use (maps, "- " sequences, plain or quoted scalars,
/// comments, "---" between documents, and the empty flow forms {} and []) into dictionaries, lists and
/// strings. Enough to check manifests statically; anything outside the subset throws so a test notices.
/// </summary>
public static class LightYaml
{
    /// <summary>Every document in <paramref name="text"/>.</summary>
    public static List<Dictionary<string, object>> ReadDocuments(string text)
    {
        var documents = new List<Dictionary<string, object>>();
        foreach (var chunk in SplitDocuments(text))
        {
            var lines = chunk.Select(StripComment).Where(l => l.Trim().Length > 0).ToList();
            if (lines.Count == 0) continue;
            int index = 0;
            var value = ParseBlock(lines, ref index, Indent(lines[0]));
            documents.Add(value as Dictionary<string, object> ?? throw new FormatException("a document must be a map"));
        }

        return documents;
    }

    /// <summary>Walks a path of map keys and list indexes ("spec.template.spec.containers.0.ports").</summary>
    public static object? At(object root, string path)
    {
        object? current = root;
        foreach (var part in path.Split('.'))
        {
            current = current switch
            {
                Dictionary<string, object> map => map.GetValueOrDefault(part),
                List<object> list when int.TryParse(part, out int i) && i < list.Count => list[i],
                _ => null,
            };
            if (current is null) return null;
        }

        return current;
    }

    private static IEnumerable<List<string>> SplitDocuments(string text)
    {
        var current = new List<string>();
        foreach (var raw in text.Replace("\r", "").Split('\n'))
        {
            if (raw.TrimEnd() == "---")
            {
                yield return current;
                current = new List<string>();
            }
            else
            {
                current.Add(raw);
            }
        }

        yield return current;
    }

    private static string StripComment(string line)
    {
        bool single = false, dbl = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\'' && !dbl) single = !single;
            else if (c == '"' && !single) dbl = !dbl;
            else if (c == '#' && !single && !dbl && (i == 0 || line[i - 1] == ' ')) return line[..i].TrimEnd();
        }

        return line.TrimEnd();
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    private static object ParseBlock(List<string> lines, ref int index, int indent)
    {
        if (lines[index].TrimStart().StartsWith("- ", StringComparison.Ordinal) || lines[index].Trim() == "-")
        {
            var list = new List<object>();
            while (index < lines.Count && Indent(lines[index]) == indent && lines[index].TrimStart().StartsWith('-'))
            {
                string rest = lines[index].TrimStart()[1..].TrimStart();
                if (rest.Length == 0)
                {
                    index++;
                    list.Add(ParseBlock(lines, ref index, Indent(lines[index])));
                }
                else if (IsKeyValue(rest))
                {
                    // "- key: value" starts a map whose keys are indented like "key".
                    int itemIndent = indent + (lines[index].TrimStart().Length - rest.Length) + (lines[index].Length - lines[index].TrimStart().Length - indent);
                    lines[index] = new string(' ', itemIndent) + rest;
                    list.Add(ParseBlock(lines, ref index, itemIndent));
                }
                else
                {
                    list.Add(Scalar(rest));
                    index++;
                }
            }

            return list;
        }

        var map = new Dictionary<string, object>(StringComparer.Ordinal);
        while (index < lines.Count && Indent(lines[index]) == indent)
        {
            string line = lines[index].Trim();
            if (line.StartsWith('-')) break;
            if (!IsKeyValue(line)) throw new FormatException($"not a map entry: '{line}'");
            int colon = KeyEnd(line);
            string key = Unquote(line[..colon].Trim());
            string value = line[(colon + 1)..].Trim();
            index++;
            if (value.Length > 0)
            {
                map[key] = value == "{}" ? new Dictionary<string, object>() : value == "[]" ? new List<object>() : Scalar(value);
            }
            else if (index < lines.Count && (Indent(lines[index]) > indent || (Indent(lines[index]) == indent && lines[index].TrimStart().StartsWith('-'))))
            {
                map[key] = ParseBlock(lines, ref index, Indent(lines[index]));
            }
            else
            {
                map[key] = "";
            }
        }

        if (index < lines.Count && Indent(lines[index]) > indent) throw new FormatException($"unexpected indentation: '{lines[index]}'");
        return map;
    }

    private static bool IsKeyValue(string text) => KeyEnd(text) > 0;

    private static int KeyEnd(string text)
    {
        if (text.StartsWith('"') || text.StartsWith('\''))
        {
            int close = text.IndexOf(text[0], 1);
            return close > 0 && close + 1 < text.Length && text[close + 1] == ':' ? close + 1 : -1;
        }

        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == ':' && (i + 1 == text.Length || text[i + 1] == ' ')) return i;
        }

        return -1;
    }

    private static string Scalar(string value)
    {
        if (value.StartsWith('{') || value.StartsWith('[') || value.StartsWith('|') || value.StartsWith('>') || value.StartsWith('&') || value.StartsWith('*'))
        {
            throw new FormatException($"outside the YAML subset: '{value}'");
        }

        return Unquote(value);
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && ((value[0] == '"' && value[^1] == '"') || (value[0] == '\'' && value[^1] == '\'')) ? value[1..^1] : value;
}
