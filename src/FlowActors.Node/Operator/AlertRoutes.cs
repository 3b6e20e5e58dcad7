using System.Text;
using System.Text.Json;
using FlowActors.Node.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FlowActors.Node.Operator;

/// <summary>
/// <c>flowctl alerts recent|tail</c>: alerts as this node's JSON-lines file sink wrote them (the forwarder's
/// delivered record, so what an operator sees is what the SIEM got).
/// </summary>
internal static class AlertRoutes
{
    /// <summary>Most alerts one call returns.</summary>
    public const int MaxLimit = 1_000;

    /// <summary>Most bytes one tail call reads.</summary>
    private const int MaxTailBytes = 1 << 20;

    public static void Map(WebApplication app)
    {
        app.MapGet("/api/alerts/recent", (NodeSettings settings, int? limit) =>
        {
            if (!TryAlertsFile(settings, out var path, out var error)) return error!;
            int n = Math.Clamp(limit ?? 20, 1, MaxLimit);
            var (alerts, end) = ReadLast(path!, n);
            return Results.Json(new { file = path, alerts, next_offset = end }, OperatorEndpoint.Json);
        });

        app.MapGet("/api/alerts/tail", (NodeSettings settings, long? offset, int? limit) =>
        {
            if (!TryAlertsFile(settings, out var path, out var error)) return error!;
            int n = Math.Clamp(limit ?? 100, 1, MaxLimit);
            var (alerts, next) = ReadFrom(path!, Math.Max(0, offset ?? 0), n);
            return Results.Json(new { file = path, alerts, next_offset = next }, OperatorEndpoint.Json);
        });
    }

    private static bool TryAlertsFile(NodeSettings settings, out string? path, out IResult? error)
    {
        path = settings.Forwarder.Sinks.FirstOrDefault(s => s.Kind == SinkKind.File)?.Path;
        error = null;
        if (path is null)
        {
            error = OperatorEndpoint.Error("this node has no file sink configured (FlowActors:Forwarder:Sinks)", 404);
            return false;
        }

        return true;
    }

    /// <summary>The last <paramref name="count"/> complete lines, oldest first, and the file length they end at.</summary>
    internal static (List<JsonElement> Alerts, long End) ReadLast(string path, int count)
    {
        if (!File.Exists(path)) return (new List<JsonElement>(), 0);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long end = stream.Length;
        // Read backwards in blocks until enough newlines are in hand; a trailing partial line (being written) is ignored.
        var block = new byte[64 * 1024];
        var collected = new List<byte[]>();
        long position = end;
        int newlines = 0;
        while (position > 0 && newlines <= count)
        {
            int size = (int)Math.Min(block.Length, position);
            position -= size;
            stream.Position = position;
            stream.ReadExactly(block, 0, size);
            collected.Insert(0, block[..size]);
            newlines += block.AsSpan(0, size).Count((byte)'\n');
            if (end - position > 64L * MaxTailBytes) break;
        }

        string text = Encoding.UTF8.GetString(collected.SelectMany(b => b).ToArray());
        int lastNewline = text.LastIndexOf('\n');
        if (lastNewline < 0) return (new List<JsonElement>(), end);
        long completeEnd = end - Encoding.UTF8.GetByteCount(text.AsSpan(lastNewline + 1));
        var lines = text[..lastNewline].Split('\n');
        var alerts = ParseLines(lines.Skip(Math.Max(0, lines.Length - count)));
        return (alerts, completeEnd);
    }

    /// <summary>Complete lines from byte <paramref name="offset"/> on (at most <paramref name="count"/>), and the offset after the last one returned.</summary>
    internal static (List<JsonElement> Alerts, long Next) ReadFrom(string path, long offset, int count)
    {
        if (!File.Exists(path)) return (new List<JsonElement>(), 0);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (offset > stream.Length) offset = 0; // the file was truncated or replaced: start again
        stream.Position = offset;
        var buffer = new byte[(int)Math.Min(MaxTailBytes, stream.Length - offset)];
        stream.ReadExactly(buffer);
        var lines = new List<string>();
        int start = 0;
        long next = offset;
        for (int i = 0; i < buffer.Length && lines.Count < count; i++)
        {
            if (buffer[i] != (byte)'\n') continue;
            lines.Add(Encoding.UTF8.GetString(buffer, start, i - start));
            start = i + 1;
            next = offset + start;
        }

        return (ParseLines(lines), next);
    }

    private static List<JsonElement> ParseLines(IEnumerable<string> lines)
    {
        var result = new List<JsonElement>();
        foreach (var line in lines)
        {
            if (line.Trim().Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                result.Add(doc.RootElement.Clone());
            }
            catch (JsonException)
            {
                // A line that is not JSON is not an alert; the file is ours, but never let one bad line hide the rest.
            }
        }

        return result;
    }
}
