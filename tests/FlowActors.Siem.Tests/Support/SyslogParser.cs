using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FlowActors.Siem.Tests.Support;

/// <summary>A parsed RFC 5424 message.</summary>
public sealed record SyslogMessage(
    int Facility, int Severity, int Version, DateTimeOffset? Timestamp, string? HostName, string? AppName, string? ProcId, string? MsgId,
    IReadOnlyList<SdElement> StructuredData, string Msg);

/// <summary>One SD-ELEMENT: its SD-ID and parameters (in order).</summary>
public sealed record SdElement(string Id, IReadOnlyList<KeyValuePair<string, string>> Parameters)
{
    /// <summary>The value of the first parameter named <paramref name="name"/>.</summary>
    public string this[string name] => Parameters.First(p => p.Key == name).Value;
}

/// <summary>
/// A strict RFC 5424 (section 6, the ABNF) parser written for the tests: PRI (1-3 digits, 0-191), VERSION 1,
/// TIMESTAMP (NILVALUE or the RFC 3339 subset of 6.2.3), HOSTNAME/APP-NAME/PROCID/MSGID (PRINTUSASCII, with their
/// lengths), STRUCTURED-DATA (SD-ELEMENTs with SD-NAMEs and PARAM-VALUEs where only <c>\"</c>, <c>\\</c> and <c>\]</c>
/// are escapes) and MSG (an optional UTF-8 BOM is removed).
/// </summary>
public static partial class SyslogParser
{
    /// <summary>Parses one message (framing already removed).</summary>
    public static SyslogMessage Parse(string text)
    {
        int i = 0;
        if (text.Length == 0 || text[i++] != '<') throw new FormatException("PRI must start with '<'");
        int close = text.IndexOf('>', i);
        if (close < 2 || close > 4) throw new FormatException("PRI is 1-3 digits in angle brackets");
        string priText = text[i..close];
        if (!priText.All(char.IsAsciiDigit) || (priText.Length > 1 && priText[0] == '0')) throw new FormatException($"PRI '{priText}' is not a PRIVAL");
        int pri = int.Parse(priText, CultureInfo.InvariantCulture);
        if (pri > 191) throw new FormatException($"PRI {pri} > 191");
        i = close + 1;
        string version = Token(text, ref i, "VERSION", 2);
        if (version != "1") throw new FormatException($"VERSION '{version}' is not 1");
        string ts = Token(text, ref i, "TIMESTAMP", 64);
        DateTimeOffset? timestamp = null;
        if (ts != "-")
        {
            if (!TimestampPattern().IsMatch(ts)) throw new FormatException($"TIMESTAMP '{ts}' is not the RFC 5424 form");
            timestamp = DateTimeOffset.Parse(ts, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        }

        string? host = Nil(Token(text, ref i, "HOSTNAME", 255));
        string? app = Nil(Token(text, ref i, "APP-NAME", 48));
        string? proc = Nil(Token(text, ref i, "PROCID", 128));
        string? msgId = Nil(Token(text, ref i, "MSGID", 32));
        var sd = new List<SdElement>();
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }
        else
        {
            while (i < text.Length && text[i] == '[') sd.Add(Element(text, ref i));
            if (sd.Count == 0) throw new FormatException("STRUCTURED-DATA is '-' or SD-ELEMENTs");
        }

        string msg = string.Empty;
        if (i < text.Length)
        {
            if (text[i] != ' ') throw new FormatException("MSG must follow STRUCTURED-DATA after one space");
            msg = text[(i + 1)..];
            if (msg.StartsWith('\uFEFF')) msg = msg[1..];
        }

        return new SyslogMessage(pri / 8, pri % 8, 1, timestamp, host, app, proc, msgId, sd, msg);
    }

    private static string Token(string text, ref int i, string what, int max)
    {
        int sp = text.IndexOf(' ', i);
        if (sp < 0) throw new FormatException($"{what} is not followed by a space");
        string t = text[i..sp];
        if (t.Length == 0 || t.Length > max) throw new FormatException($"{what} '{t}' must be 1-{max} characters");
        if (t.Any(c => c is < (char)33 or > (char)126)) throw new FormatException($"{what} '{t}' is not PRINTUSASCII");
        i = sp + 1;
        return t;
    }

    private static string? Nil(string t) => t == "-" ? null : t;

    private static SdElement Element(string text, ref int i)
    {
        i++; // '['
        string id = SdName(text, ref i, "SD-ID");
        var parameters = new List<KeyValuePair<string, string>>();
        while (true)
        {
            if (i >= text.Length) throw new FormatException("unterminated SD-ELEMENT");
            if (text[i] == ']')
            {
                i++;
                return new SdElement(id, parameters);
            }

            if (text[i++] != ' ') throw new FormatException("SD-PARAMs are separated by one space");
            string name = SdName(text, ref i, "PARAM-NAME");
            if (i + 1 >= text.Length || text[i] != '=' || text[i + 1] != '"') throw new FormatException($"PARAM-NAME {name} must be followed by =\"");
            i += 2;
            var value = new StringBuilder();
            while (true)
            {
                if (i >= text.Length) throw new FormatException($"unterminated PARAM-VALUE of {name}");
                char c = text[i++];
                if (c == '"') break;
                if (c == ']') throw new FormatException($"unescaped ']' in PARAM-VALUE of {name}");
                if (c == '\\' && i < text.Length && text[i] is '"' or '\\' or ']')
                {
                    value.Append(text[i++]);
                    continue;
                }

                // RFC 5424 6.3.3: a backslash before any other character is kept as it is.
                value.Append(c);
            }

            parameters.Add(new(name, value.ToString()));
        }
    }

    private static string SdName(string text, ref int i, string what)
    {
        int start = i;
        while (i < text.Length && text[i] is > (char)32 and < (char)127 and not ('=' or ']' or '"')) i++;
        int n = i - start;
        if (n is 0 or > 32) throw new FormatException($"{what} must be 1-32 PRINTUSASCII characters except = ] \" and space");
        return text[start..i];
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex TimestampPattern();
}
