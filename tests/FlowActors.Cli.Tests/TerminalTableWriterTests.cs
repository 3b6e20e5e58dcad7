using System.Text.Json;
using System.Text.RegularExpressions;
using FlowActors.Cli.Operator;

namespace FlowActors.Cli.Tests;

/// <summary>Tables for a terminal (Spectre.Console): the window's width, colour; piped output is tested plain elsewhere.</summary>
public class TerminalTableWriterTests
{
    private static readonly Regex Ansi = new("\u001b\\[[0-9;]*[A-Za-z]");

    [Fact]
    public void A_terminal_table_fits_the_window_keeps_addresses_whole_and_colours_status()
    {
        using var doc = JsonDocument.Parse("""
            {"self":"akka.tcp://flowactors@127.0.0.1:4053","members":[
              {"address":"akka.tcp://flowactors@127.0.0.1:4053","status":"Up","roles":["edge"],"note":"a long free-text value that cannot fit on one line of a narrow terminal window"},
              {"address":"akka.tcp://flowactors@127.0.0.1:4054","status":"Unreachable","roles":["edge"],"note":"-"}]}
            """);
        var output = new StringWriter();

        TerminalTableWriter.Write(doc.RootElement, TerminalTableWriter.Console(output, width: 90));

        string text = output.ToString();
        Assert.Contains("\u001b[", text); // colour on a terminal
        var visible = Ansi.Replace(text, "").Replace("\r", "").Split('\n');
        Assert.All(visible, line => Assert.True(line.TrimEnd().Length <= 90, $"{line.TrimEnd().Length} columns: '{line}'"));
        Assert.Contains(visible, l => l.Contains("akka.tcp://flowactors@127.0.0.1:4053") && l.Contains("Up"));
        Assert.Contains(visible, l => l.Contains("akka.tcp://flowactors@127.0.0.1:4054") && l.Contains("Unreachable"));
        Assert.Contains(visible, l => l.Contains("ADDRESS") && l.Contains("STATUS") && l.Contains("NOTE"));
        Assert.Contains(visible, l => l.TrimStart().StartsWith("self:", StringComparison.Ordinal));
        Assert.Matches("\u001b\\[[0-9;]*mUnreachable", text); // the word an operator looks for, in colour
    }
}
