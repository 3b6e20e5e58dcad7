using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;
using FlowActors.Cli.Operator;

namespace FlowActors.Cli.Parsing;

/// <summary>
/// Reports a command line System.CommandLine could not parse in flowctl's words: one <c>flowctl: ...</c> line per
/// problem on stderr, naming the option, the value or the command, then where the usage is.
/// </summary>
internal static class UsageErrors
{
    private static readonly ConditionalWeakTable<Argument, string> MissingMessages = [];

    /// <summary>Says <paramref name="message"/> when <paramref name="argument"/> is required and not given.</summary>
    public static T WhenMissing<T>(this T argument, string message)
        where T : Argument
    {
        MissingMessages.AddOrUpdate(argument, message);
        return argument;
    }

    /// <summary>Writes the errors of <paramref name="parseResult"/>.</summary>
    public static void Write(ParseResult parseResult, OperatorPalettes palettes, TextWriter stderr) =>
        Write(Describe(parseResult, palettes), parseResult.CommandResult.Command, stderr);

    /// <summary>Writes <paramref name="messages"/> as usage errors of <paramref name="command"/>.</summary>
    public static void Write(IEnumerable<string> messages, Command command, TextWriter stderr)
    {
        foreach (string message in messages) stderr.WriteLine("flowctl: " + message);
        stderr.WriteLine($"Run '{CommandPath(command)} --help' for usage.");
        stderr.Flush();
    }

    /// <summary><c>flowctl hosts show</c>: the words that name <paramref name="command"/>.</summary>
    public static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c and not RootCommand; s = s.Parents.FirstOrDefault()) names.Add(c.Name);
        names.Add("flowctl");
        names.Reverse();
        return string.Join(" ", names);
    }

    /// <summary>The problems in <paramref name="parseResult"/>, most specific first, each once.</summary>
    public static List<string> Describe(ParseResult parseResult, OperatorPalettes palettes)
    {
        var command = parseResult.CommandResult.Command;
        var route = palettes.RouteOf(command);
        bool isPalette = palettes.IsPalette(command);
        var messages = new List<string>();
        foreach (string token in parseResult.UnmatchedTokens)
        {
            if (route is not null && token is "-f" or "--follow" or "--interval")
                messages.Add("-f applies to 'alerts tail' only");
            else if (token.Length > 1 && token[0] == '-')
                messages.Add($"unknown option '{token}'.");
            else if (isPalette)
                messages.Add($"unknown command '{token}' in palette '{command.Name}' (known: {string.Join(", ", command.Subcommands.Select(c => c.Name))})");
            else if (route is not null)
                messages.Add($"'{route.Palette} {route.Name}' takes {OperatorPalettes.DescribeArguments(route)}");
            else
                messages.Add($"unexpected argument '{token}'.");
        }

        foreach (var error in parseResult.Errors)
        {
            switch (error.SymbolResult)
            {
                case CommandResult when parseResult.UnmatchedTokens.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)):
                    break; // said above, in flowctl's words
                case CommandResult result when palettes.IsPalette(result.Command):
                    if (messages.Count == 0) messages.Add($"missing command for palette '{result.Command.Name}'");
                    break;
                case ArgumentResult { Tokens.Count: 0, Parent: OptionResult option }:
                    messages.Add($"{option.IdentifierToken?.Value ?? option.Option.Name} needs a value.");
                    break;
                case OptionResult { Tokens.Count: 0 } option:
                    messages.Add($"{option.IdentifierToken?.Value ?? option.Option.Name} needs a value.");
                    break;
                case ArgumentResult { Tokens.Count: 0 } argument when route is not null:
                    messages.Add($"'{route.Palette} {route.Name}' takes {OperatorPalettes.DescribeArguments(route)}");
                    break;
                case ArgumentResult { Tokens.Count: 0 } argument when MissingMessages.TryGetValue(argument.Argument, out var missing):
                    messages.Add(missing);
                    break;
                default:
                    messages.Add(error.Message);
                    break;
            }
        }

        if (messages.Count == 0) messages.Add("the command line could not be parsed.");
        return messages.Distinct().ToList();
    }
}
