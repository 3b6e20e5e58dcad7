using System.Text;

namespace FlowActors.Siem.Tests.Support;

/// <summary>A parsed CEF event.</summary>
public sealed record CefEvent(
    int Version, string DeviceVendor, string DeviceProduct, string DeviceVersion, string SignatureId, string Name, string Severity,
    IReadOnlyDictionary<string, string> Extension);

/// <summary>
/// A strict CEF parser written from the ArcSight "Implementing ArcSight Common Event Format (CEF)" specification
/// (revision 25), independently of the formatter: header <c>CEF:Version|Device Vendor|Device Product|Device
/// Version|Device Event Class ID|Name|Severity|Extension</c>; in the header only <c>\|</c> and <c>\\</c> are
/// escapes and line breaks are not allowed; the extension is space-separated <c>key=value</c> pairs whose values
/// may contain spaces, with <c>\=</c>, <c>\\</c>, <c>\n</c>, <c>\r</c> as the only escapes, so an unescaped
/// <c>=</c> always belongs to a key. Anything else is rejected with a <see cref="FormatException"/>.
/// </summary>
public static class CefParser
{
    /// <summary>Parses one CEF record (the syslog MSG, without any syslog header).</summary>
    public static CefEvent Parse(string text)
    {
        if (!text.StartsWith("CEF:", StringComparison.Ordinal)) throw new FormatException("a CEF record starts with 'CEF:'");
        if (text.Contains('\n') || text.Contains('\r')) throw new FormatException("a CEF record is one line: raw CR/LF must be escaped");
        var fields = new List<string>(7);
        var current = new StringBuilder();
        int i = 4;
        while (fields.Count < 7)
        {
            if (i >= text.Length) throw new FormatException($"header ended after {fields.Count} of 7 fields");
            char c = text[i++];
            if (c == '\\')
            {
                if (i >= text.Length) throw new FormatException("dangling backslash in the header");
                char e = text[i++];
                if (e is not ('|' or '\\')) throw new FormatException($"'\\{e}' is not a header escape (only \\| and \\\\ are)");
                current.Append(e);
            }
            else if (c == '|')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        if (!int.TryParse(fields[0], out int version) || version < 0) throw new FormatException($"version '{fields[0]}' is not a number");
        string severity = fields[6];
        if (!(int.TryParse(severity, out int sev) && sev is >= 0 and <= 10) && severity is not ("Unknown" or "Low" or "Medium" or "High" or "Very-High"))
        {
            throw new FormatException($"severity '{severity}' is neither 0-10 nor Unknown/Low/Medium/High/Very-High");
        }

        return new CefEvent(version, fields[1], fields[2], fields[3], fields[4], fields[5], severity, ParseExtension(text[i..]));
    }

    private static Dictionary<string, string> ParseExtension(string ext)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ext.Length == 0) return result;

        // Every unescaped '=' ends a key; the key starts after the last space before it.
        var equals = new List<int>();
        for (int i = 0; i < ext.Length; i++)
        {
            if (ext[i] == '\\') i++;
            else if (ext[i] == '=') equals.Add(i);
        }

        if (equals.Count == 0) throw new FormatException("extension has no key=value pair");
        int keyStart = 0;
        for (int k = 0; k < equals.Count; k++)
        {
            int eq = equals[k];
            string key = ext[keyStart..eq];
            if (key.Length == 0 || !key.All(char.IsAsciiLetterOrDigit)) throw new FormatException($"'{key}' is not a CEF key (alphanumeric)");
            int valueStart = eq + 1;
            int valueEnd;
            if (k + 1 < equals.Count)
            {
                int nextEq = equals[k + 1];
                int space = ext.LastIndexOf(' ', nextEq - 1, nextEq - valueStart);
                if (space < valueStart) throw new FormatException($"value of '{key}' holds an unescaped '='");
                valueEnd = space;
                keyStart = space + 1;
            }
            else
            {
                valueEnd = ext.Length;
            }

            if (!result.TryAdd(key, Unescape(ext[valueStart..valueEnd]))) throw new FormatException($"key '{key}' appears twice");
        }

        if (ext.AsSpan(0, equals[0]).Contains(' ')) throw new FormatException("text before the first key");
        return result;
    }

    private static string Unescape(string raw)
    {
        var sb = new StringBuilder(raw.Length);
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (++i >= raw.Length) throw new FormatException("dangling backslash in an extension value");
            sb.Append(raw[i] switch
            {
                '\\' => '\\',
                '=' => '=',
                'n' => '\n',
                'r' => '\r',
                _ => throw new FormatException($"'\\{raw[i]}' is not an extension escape"),
            });
        }

        return sb.ToString();
    }
}
