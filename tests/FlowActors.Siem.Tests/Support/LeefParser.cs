using System.Globalization;
using System.Text;

namespace FlowActors.Siem.Tests.Support;

/// <summary>A parsed LEEF event.</summary>
public sealed record LeefEvent(string Version, string Vendor, string Product, string ProductVersion, string EventId, char Delimiter,
    IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// A strict LEEF 2.0 parser written from IBM's "Log Event Extended Format (LEEF) Version 2" description:
/// <c>LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|key=value&lt;delim&gt;key=value</c>, the delimiter a
/// single character or its hex code (<c>x5E</c> / <c>0x5E</c>); attributes split on the delimiter, key and value on the
/// first <c>=</c>. LEEF has no escapes, so a line break or tab inside a value is reported as an error here.
/// </summary>
public static class LeefParser
{
    /// <summary>Parses one LEEF 2.0 record.</summary>
    public static LeefEvent Parse(string text)
    {
        if (!text.StartsWith("LEEF:2.0|", StringComparison.Ordinal)) throw new FormatException("a LEEF 2.0 record starts with 'LEEF:2.0|'");
        if (text.IndexOfAny(['\r', '\n']) >= 0) throw new FormatException("a LEEF record is one line");
        string[] parts = text.Split('|', 7);
        if (parts.Length < 7) throw new FormatException($"header has {parts.Length} of 7 fields");
        char delimiter = ParseDelimiter(parts[5]);
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in parts[6].Split(delimiter))
        {
            if (pair.Length == 0) continue;
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new FormatException($"attribute '{pair}' is not key=value");
            string key = pair[..eq];
            string value = pair[(eq + 1)..];
            if (key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) throw new FormatException($"key '{key}' holds white space");
            if (value.Any(c => c == '\t' || char.IsControl(c))) throw new FormatException($"value of '{key}' holds a tab or control character");
            if (!attributes.TryAdd(key, value)) throw new FormatException($"key '{key}' appears twice");
        }

        return new LeefEvent("2.0", parts[1], parts[2], parts[3], parts[4], delimiter, attributes);
    }

    /// <summary>Parses <c>devTime</c> with the <c>devTimeFormat</c> given (a Java SimpleDateFormat subset: yyyy MM dd HH mm ss SSS Z and quoted literals).</summary>
    public static DateTimeOffset ParseDevTime(string value, string javaFormat)
    {
        var net = new StringBuilder();
        for (int i = 0; i < javaFormat.Length;)
        {
            char c = javaFormat[i];
            int run = 1;
            while (i + run < javaFormat.Length && javaFormat[i + run] == c && c != '\'') run++;
            string token = javaFormat.Substring(i, run);
            if (c == '\'')
            {
                int close = javaFormat.IndexOf('\'', i + 1);
                net.Append('\'').Append(javaFormat, i + 1, close - i - 1).Append('\'');
                i = close + 1;
                continue;
            }

            net.Append(token switch
            {
                "yyyy" => "yyyy",
                "MM" => "MM",
                "dd" => "dd",
                "HH" => "HH",
                "mm" => "mm",
                "ss" => "ss",
                "SSS" => "fff",
                "Z" => "zzz",
                _ => token.All(ch => !char.IsLetter(ch)) ? token : throw new FormatException($"devTimeFormat token '{token}' not supported"),
            });
            i += run;
        }

        // Java 'Z' is an RFC 822 offset (+0000); .NET 'zzz' wants +00:00.
        string v = value.Length >= 5 && (value[^5] is '+' or '-') ? value[..^2] + ":" + value[^2..] : value;
        return DateTimeOffset.ParseExact(v, net.ToString(), CultureInfo.InvariantCulture);
    }

    private static char ParseDelimiter(string field)
    {
        if (field.Length == 1) return field[0];
        string hex = field.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? field[2..] : field.StartsWith('x') || field.StartsWith('X') ? field[1..] : string.Empty;
        if (hex.Length is >= 2 and <= 4 && int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code)) return (char)code;
        throw new FormatException($"delimiter field '{field}' is neither one character nor a hex code");
    }
}
