using System.Text;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace FlowActors.Cli.Operator;

/// <summary>
/// The operator endpoint's JSON for a person at a terminal, with Spectre.Console: the same keys and tables as
/// <see cref="TableWriter"/>, but tables fit the window (columns shrink and wrap instead of running off the edge),
/// headers are bold and health words are coloured. Only used when standard output is a terminal; piped output stays
/// <see cref="TableWriter"/>'s plain, greppable text, and <c>--json</c> the endpoint's bytes.
/// </summary>
internal static class TerminalTableWriter
{
    /// <summary>A console that renders to <paramref name="writer"/>, <paramref name="width"/> columns wide, with ANSI colour.</summary>
    public static IAnsiConsole Console(TextWriter writer, int width) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.Yes,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.No,
        Out = new TerminalOutput(writer, width),
    });

    /// <summary>The width of the terminal flowctl runs in, or 120 when it cannot be read.</summary>
    public static int WindowWidth()
    {
        try
        {
            return System.Console.WindowWidth > 0 ? System.Console.WindowWidth : 120;
        }
        catch (IOException)
        {
            return 120;
        }
    }

    /// <summary>Writes <paramref name="value"/>.</summary>
    public static void Write(JsonElement value, IAnsiConsole console)
    {
        if (value.ValueKind == JsonValueKind.Array && TableWriter.IsTable(value))
        {
            console.Write(Table(value));
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            console.WriteLine(TableWriter.Cell(value));
            return;
        }

        var lines = new List<(string Key, string Value)>();
        var tables = new List<(string Name, JsonElement Rows)>();
        TableWriter.Collect(value, "", lines, tables);
        if (lines.Count > 0)
        {
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            foreach (var (key, text) in lines) grid.AddRow(new Text(key + ":", new Style(decoration: Decoration.Dim)), Cell(text));
            console.Write(grid);
        }

        foreach (var (name, rows) in tables)
        {
            console.WriteLine();
            console.Write(new Text(name + ":", new Style(decoration: Decoration.Bold)));
            console.WriteLine();
            if (rows.GetArrayLength() == 0) console.WriteLine("  (none)");
            else console.Write(Table(rows));
        }
    }

    /// <summary>Writes a table of <paramref name="headers"/> and <paramref name="rows"/> (the forwarder's sinks).</summary>
    public static void WriteRows(IReadOnlyList<string> headers, IEnumerable<string[]> rows, IAnsiConsole console) =>
        console.Write(NewTable(headers, [.. rows]));

    private static Table Table(JsonElement rows)
    {
        var columns = TableWriter.Columns(rows);
        var cells = rows.EnumerateArray()
            .Select(row => columns.Select(c => row.TryGetProperty(c, out var v) ? TableWriter.Cell(v) : "").ToArray())
            .ToList();
        return NewTable([.. columns.Select(c => c.ToUpperInvariant())], cells);
    }

    /// <summary>Longest value a column keeps on one line; longer free text (errors, notes) wraps to make room.</summary>
    private const int NoWrapWidth = 40;

    private static Table NewTable(IReadOnlyList<string> headers, List<string[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        for (int i = 0; i < headers.Count; i++)
        {
            var column = new TableColumn(new Text(headers[i], new Style(decoration: Decoration.Bold)));
            // Addresses and counters stay whole; only long free text gives way when the window is narrow.
            if (rows.All(r => i >= r.Length || r[i].Length <= NoWrapWidth)) column.NoWrap();
            table.AddColumn(column);
        }

        foreach (var row in rows) table.AddRow(row.Select(Cell));
        return table;
    }

    // Words an operator scans for; the rest is plain. Text, not markup: node values are never interpreted.
    private static IRenderable Cell(string text) => new Text(text, text switch
    {
        "Up" or "healthy" or "closed" or "ready" => new Style(Color.Green),
        "Down" or "Unreachable" or "unhealthy" or "open" or "failed" => new Style(Color.Red),
        "Joining" or "Leaving" or "Exiting" or "WeaklyUp" or "degraded" or "half-open" => new Style(Color.Yellow),
        _ => Style.Plain,
    });

    /// <summary>Spectre's output on flowctl's buffered stdout, declared a terminal of the window's width.</summary>
    private sealed class TerminalOutput(TextWriter writer, int width) : IAnsiConsoleOutput
    {
        public TextWriter Writer => writer;

        public bool IsTerminal => true;

        public int Width => width;

        public int Height => 24;

        public void SetEncoding(Encoding encoding)
        {
            // flowctl's stdout is UTF-8 already.
        }
    }
}
