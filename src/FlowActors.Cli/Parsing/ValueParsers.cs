using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;

namespace FlowActors.Cli.Parsing;

/// <summary>
/// Typed values for flowctl's options and arguments: each parser turns the token into the value the command uses, or
/// adds an error naming the option and the value, which the parser reports as a usage error (exit code 2).
/// </summary>
internal static class ValueParsers
{
    /// <summary>The single token of <paramref name="result"/> (the parser's arity has already been checked).</summary>
    public static string Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    /// <summary>The option (or argument) name as the user typed it: <c>--port</c>, or the argument's help name.</summary>
    public static string NameOf(ArgumentResult result) => result.Parent is OptionResult option
        ? option.IdentifierToken?.Value ?? option.Option.Name
        : result.Argument.HelpName ?? result.Argument.Name;

    /// <summary>Parses with <paramref name="tryParse"/>; on failure adds <c>'VALUE' is not a valid value for NAME. HINT</c>.</summary>
    public static T Parse<T>(ArgumentResult result, TryParse<T> tryParse, string hint)
    {
        string token = Token(result);
        if (tryParse(token, out T value)) return value;
        result.AddError($"'{token}' is not a valid value for {NameOf(result)}. {hint}");
        return default!;
    }

    /// <summary>A parse function in the BCL's TryParse shape.</summary>
    public delegate bool TryParse<T>(string text, out T value);

    /// <summary>A UDP or TCP port, 1-65535.</summary>
    public static bool TryPort(string text, out ushort port) =>
        ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port != 0;

    /// <summary>HOST:PORT with an IPv4 or IPv6 address (<c>[::1]:2055</c>) or <c>localhost</c>, and a port other than 0.</summary>
    public static bool TryEndPoint(string text, out IPEndPoint endPoint)
    {
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)) text = "127.0.0.1" + text["localhost".Length..];
        if (IPEndPoint.TryParse(text, out var parsed) && parsed.Port != 0 && text.Contains(':', StringComparison.Ordinal))
        {
            endPoint = parsed;
            return true;
        }

        endPoint = null!;
        return false;
    }

    /// <summary>A non-negative whole number in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static TryParse<long> Range(long min, long max) => (string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    /// <summary>
    /// A duration: a number of seconds (<c>0.5</c>), or a number with a unit, <c>ms</c>, <c>s</c> or <c>m</c>
    /// (<c>250ms</c>, <c>2s</c>, <c>1m</c>); positive and at most a day.
    /// </summary>
    public static bool TryDuration(string text, out TimeSpan duration)
    {
        duration = default;
        string number = text;
        double scale = 1;
        if (text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)) (number, scale) = (text[..^2], 0.001);
        else if (text.EndsWith('s') || text.EndsWith('S')) number = text[..^1];
        else if (text.EndsWith('m') || text.EndsWith('M')) (number, scale) = (text[..^1], 60);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)) return false;
        double seconds = value * scale;
        if (!(seconds > 0) || seconds > 86_400) return false;
        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>Adds to <paramref name="option"/> a check that every file it names exists.</summary>
    public static void FilesExist(Option<string[]> option) => option.Validators.Add(result =>
    {
        foreach (var token in result.Tokens)
        {
            foreach (string path in SplitList(token.Value))
            {
                if (!File.Exists(path)) result.AddError($"{result.IdentifierToken?.Value ?? option.Name}: '{path}' does not exist or is not a file.");
            }
        }
    });

    /// <summary>A comma-separated list (<c>10.0.0.0/8,fd00::/8</c>), entries trimmed, empty ones dropped.</summary>
    public static string[] SplitList(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The first value of <paramref name="argument"/> that looks like an option (<c>--fast</c>): an unknown option, not a
    /// file name. Values after <c>--</c> are file names whatever they look like.
    /// </summary>
    public static string? UnknownOption(ParseResult parseResult, Argument<string[]> argument)
    {
        if (parseResult.Tokens.Any(t => t.Type == TokenType.DoubleDash)) return null;
        return parseResult.GetValue(argument)?.FirstOrDefault(v => v.Length > 1 && v[0] == '-');
    }
}
