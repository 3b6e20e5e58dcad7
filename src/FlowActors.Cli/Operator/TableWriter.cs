using System.Globalization;
using System.Text.Json;

namespace FlowActors.Cli.Operator;

/// <summary>
/// Renders an operator endpoint's JSON for people: scalars as <c>key: value</c> lines, arrays of objects as
/// aligned tables, nested objects with dotted keys. Independent of any one response's shape, so a new
/// route needs no new printer.
/// </summary>
public static class TableWriter
{
    /// <summary>Writes <paramref name="value"/>.</summary>
    public static void Write(JsonElement value, TextWriter output)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Array when IsTable(value):
                WriteTable(value, output);
                break;
            case JsonValueKind.Object:
                WriteObject(value, "", output);
                break;
            default:
                output.WriteLine(Cell(value));
                break;
        }
    }

    private static void WriteObject(JsonElement value, string prefix, TextWriter output)
    {
        var tables = new List<(string Name, JsonElement Rows)>();
        var lines = new List<(string Key, string Value)>();
        Collect(value, prefix, lines, tables);
        int width = lines.Count == 0 ? 0 : lines.Max(l => l.Key.Length) + 1;
        foreach (var (key, text) in lines)
        {
            output.Write((key + ":").PadRight(width + 1));
            output.WriteLine(text);
        }

        foreach (var (name, rows) in tables)
        {
            output.WriteLine();
            output.WriteLine(name + ":");
            if (rows.GetArrayLength() == 0)
            {
                output.WriteLine("  (none)");
            }
            else
            {
                WriteTable(rows, output);
            }
        }
    }

    /// <summary>The scalars of <paramref name="value"/> as dotted keys, and its arrays of rows, in order.</summary>
    internal static void Collect(JsonElement value, string prefix, List<(string Key, string Value)> lines, List<(string Name, JsonElement Rows)> tables)
    {
        foreach (var property in value.EnumerateObject())
        {
            string key = prefix.Length == 0 ? property.Name : prefix + "." + property.Name;
            var v = property.Value;
            if (v.ValueKind == JsonValueKind.Object && v.EnumerateObject().Any())
            {
                Collect(v, key, lines, tables);
            }
            else if (v.ValueKind == JsonValueKind.Array && (IsTable(v) || v.GetArrayLength() == 0 && LooksLikeRows(property.Name)))
            {
                tables.Add((key, v));
            }
            else
            {
                lines.Add((key, Cell(v)));
            }
        }
    }

    // Empty lists of rows still print as "(none)" under a heading, rather than as an empty value.
    private static bool LooksLikeRows(string name) => name is "members" or "regions" or "shards" or "alerts" or "exporters" or "refused_exporters" or "templates" or "hosts" or "sinks" or "checks";

    /// <summary>Whether <paramref name="array"/> is a non-empty array of objects.</summary>
    internal static bool IsTable(JsonElement array)
    {
        if (array.GetArrayLength() == 0) return false;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) return false;
        }

        return true;
    }

    /// <summary>Every property name of the rows, in first-seen order.</summary>
    internal static List<string> Columns(JsonElement rows)
    {
        var columns = new List<string>();
        foreach (var row in rows.EnumerateArray())
        {
            foreach (var property in row.EnumerateObject())
            {
                if (!columns.Contains(property.Name)) columns.Add(property.Name);
            }
        }

        return columns;
    }

    private static void WriteTable(JsonElement rows, TextWriter output)
    {
        var columns = Columns(rows);

        var cells = new List<string[]>();
        foreach (var row in rows.EnumerateArray())
        {
            var line = new string[columns.Count];
            for (int i = 0; i < columns.Count; i++)
            {
                line[i] = row.TryGetProperty(columns[i], out var v) ? Cell(v) : "";
            }

            cells.Add(line);
        }

        var widths = new int[columns.Count];
        for (int i = 0; i < columns.Count; i++)
        {
            widths[i] = Math.Max(columns[i].Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length));
        }

        WriteRow(columns.Select(c => c.ToUpperInvariant()).ToArray(), widths, output);
        foreach (var line in cells) WriteRow(line, widths, output);
    }

    private static void WriteRow(string[] values, int[] widths, TextWriter output)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) output.Write("  ");
            output.Write(i == values.Length - 1 ? values[i] : values[i].PadRight(widths[i]));
        }

        output.WriteLine();
    }

    /// <summary>One value as table text: scalars plainly, lists of scalars comma-joined, anything else as JSON.</summary>
    public static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Number => value.TryGetInt64(out long l) ? l.ToString(CultureInfo.InvariantCulture) : value.GetDouble().ToString("0.###", CultureInfo.InvariantCulture),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null or JsonValueKind.Undefined => "-",
        JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)) =>
            string.Join(",", value.EnumerateArray().Select(Cell)),
        _ => value.GetRawText(),
    };
}

/// <summary>Renders alerts one per line: time, severity, detector, host and role, summary.</summary>
public static class AlertWriter
{
    /// <summary>Writes the <c>alerts</c> of an alerts response.</summary>
    public static void Write(JsonElement response, TextWriter output)
    {
        var alerts = response.GetProperty("alerts");
        if (alerts.GetArrayLength() == 0)
        {
            output.WriteLine("(no alerts)");
            return;
        }

        WriteLines(alerts, output);
    }

    /// <summary>
    /// Writes each alert of <paramref name="alerts"/> on one line, in the console's rendering
    /// (<see cref="FlowActors.Siem.Formats.AlertTextFormatter"/>), so the node's console and flowctl print alerts alike.
    /// </summary>
    public static void WriteLines(JsonElement alerts, TextWriter output)
    {
        foreach (var element in alerts.EnumerateArray())
        {
            output.WriteLine(Line(element));
        }
    }

    private static string Line(JsonElement element)
    {
        try
        {
            var alert = FlowActors.Detection.Alert.FromJsonLine(element.GetRawText());
            return FlowActors.Siem.Formats.AlertTextFormatter.Format(alert, FlowActors.Siem.Formats.AlertFormatContext.Default);
        }
        catch (FormatException)
        {
            // A node of another version may answer with a shape this flowctl cannot read: show its fields as they are.
            return string.Join("  ", Field(element, "time"), "sev=" + Field(element, "severity"), Field(element, "detector"),
                Field(element, "host") + " (" + Field(element, "role") + ")", Field(element, "technique"), Field(element, "summary"));
        }
    }

    private static string Field(JsonElement alert, string name)
    {
        if (!alert.TryGetProperty(name, out var v)) return "-";
        // ATT&CK fields may be an object ({id, name}) or plain text.
        if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("id", out var id)) return id.ToString();
        return TableWriter.Cell(v);
    }
}
