using System.Globalization;
using System.Text.Json;

namespace FlowActors.Cli.Operator;

/// <summary><c>flowctl forwarder status</c>: the singleton's summary, then one row per sink with what an operator checks first.</summary>
public static class ForwarderStatusWriter
{
    private static readonly (string Header, string Field)[] Columns =
    [
        ("SINK", "name"), ("HEALTH", "health"), ("DELIVERED", "delivered"), ("RETRIED", "retried"), ("FAILED", "failures"),
        ("BACKLOG", "pending"), ("DROPPED", "dropped"), ("RATE-LIMITED", "rate_limited"), ("CIRCUIT", "circuit"),
        ("P50-MS", "latency_p50_ms"), ("P99-MS", "latency_p99_ms"), ("LAST-ERROR", "last_error"),
    ];

    /// <summary>Writes <paramref name="status"/> (the <c>/api/forwarder/status</c> answer).</summary>
    public static void Write(JsonElement status, TextWriter output) => Write(status, output, null);

    /// <summary>Writes <paramref name="status"/>; the sinks as a terminal table on <paramref name="terminal"/> when given.</summary>
    internal static void Write(JsonElement status, TextWriter output, Spectre.Console.IAnsiConsole? terminal)
    {
        foreach (var (label, field) in new[]
                 {
                     ("running on", "node_address"), ("journal sequence", "last_sequence_nr"), ("undelivered", "outbox"),
                     ("accepted", "accepted"), ("duplicates", "duplicates"), ("stale (lower count)", "stale"), ("refused (outbox full)", "refused"),
                     ("recovered", "recovered"),
                 })
        {
            if (status.TryGetProperty(field, out var v)) output.WriteLine((label + ":").PadRight(24) + TableWriter.Cell(v));
        }

        if (!status.TryGetProperty("sinks", out var sinks) || sinks.GetArrayLength() == 0)
        {
            output.WriteLine();
            output.WriteLine("sinks: (none)");
            return;
        }

        var rows = new List<string[]> { Columns.Select(c => c.Header).ToArray() };
        foreach (var sink in sinks.EnumerateArray())
        {
            rows.Add(Columns.Select(c => sink.TryGetProperty(c.Field, out var v) ? Format(v) : "-").ToArray());
        }

        if (terminal is not null)
        {
            output.WriteLine();
            output.Flush();
            TerminalTableWriter.WriteRows(rows[0], rows.Skip(1), terminal);
            return;
        }

        var widths = Enumerable.Range(0, Columns.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        output.WriteLine();
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Format(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Null => "-",
        JsonValueKind.Number when v.TryGetInt64(out long n) => n.ToString(CultureInfo.InvariantCulture),
        JsonValueKind.Number => v.GetDouble().ToString("0.#", CultureInfo.InvariantCulture),
        _ => TableWriter.Cell(v),
    };
}
