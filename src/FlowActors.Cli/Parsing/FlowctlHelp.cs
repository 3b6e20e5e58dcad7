using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;
using FlowActors.Cli.Operator;

namespace FlowActors.Cli.Parsing;

/// <summary>
/// flowctl's help: System.CommandLine's own, generated from the command tree, then on the root the list of every
/// operator command and on every command the exit codes (<see cref="ExitCodes.All"/>).
/// </summary>
internal sealed class FlowctlHelp(HelpAction generated, OperatorPalettes palettes) : SynchronousCommandLineAction
{
    /// <inheritdoc />
    public override bool ClearsParseErrors => true;

    /// <inheritdoc />
    public override int Invoke(ParseResult parseResult)
    {
        generated.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        if (parseResult.CommandResult.Command is RootCommand) OperatorCommands(output);
        output.WriteLine("Exit codes:");
        WriteColumns(output, [.. ExitCodes.All.Select(e => (e.Code.ToString(CultureInfo.InvariantCulture), e.Meaning))]);
        output.WriteLine();
        return ExitCodes.Ok;
    }

    private void OperatorCommands(TextWriter output)
    {
        output.WriteLine($"Operator commands (to a node's operator endpoint: leading HOST:PORT or --endpoint, default {OperatorPalettes.DefaultEndpoint}; --token, --json):");
        var rows = new List<(string, string)>();
        foreach (var palette in palettes.Palettes)
        {
            foreach (var leaf in palette.Subcommands)
            {
                if (palettes.RouteOf(leaf) is not { } route) continue;
                string arguments = route.Parameters.Length == 0 ? "" : " " + OperatorPalettes.DescribeArguments(route);
                rows.Add(($"flowctl {route.Palette} {route.Name}{arguments}", route.Description));
            }
        }

        WriteColumns(output, rows);
        output.WriteLine();
    }

    private static void WriteColumns(TextWriter output, IReadOnlyList<(string First, string Second)> rows)
    {
        int width = rows.Max(r => r.First.Length) + 2;
        foreach (var (first, second) in rows)
        {
            output.Write("  ");
            output.Write(first.PadRight(width));
            output.WriteLine(second);
        }
    }
}
