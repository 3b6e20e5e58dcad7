using System.Globalization;
using FlowActors.Detection;
using FlowActors.Protocols;
using FlowActors.Protocols.Capture;
using FlowActors.Siem.Formats;

namespace FlowActors.Cli.Commands;

/// <summary>
/// <c>flowctl analyze FILE... [--format jsonl|table|cef|leef|ecs] [--networks CIDR,...] [--intel FILE,...]</c>: decodes captures of NetFlow/IPFIX/sFlow
/// export datagrams, runs every monitored host's detectors over the flows' own event time and prints the alerts.
/// </summary>
internal static class AnalyzeCommand
{
    public const string Usage = "flowctl analyze FILE... [--format jsonl|table|cef|leef|ecs] [--networks CIDR,...] [--intel BLOCKLIST,...]";

    /// <summary>Runs the command; <paramref name="args"/> excludes the word <c>analyze</c>.</summary>
    public static int Run(ReadOnlySpan<string> args, TextWriter stdout, TextWriter stderr)
    {
        var files = new List<string>();
        string format = "jsonl";
        var settings = new DetectionSettings();
        var intelFiles = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a is "--format" or "--networks" or "--intel")
            {
                if (i + 1 >= args.Length)
                {
                    stderr.WriteLine($"flowctl analyze: {a} needs a value. Usage: {Usage}");
                    return 2;
                }

                string value = args[++i];
                if (a == "--format") format = value;
                else if (a == "--intel") intelFiles.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                else settings.Networks = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            }
            else if (a is "-h" or "--help")
            {
                stdout.WriteLine(Usage);
                return 0;
            }
            else if (a.StartsWith("--", StringComparison.Ordinal))
            {
                stderr.WriteLine($"flowctl analyze: unknown option '{a}'. Usage: {Usage}");
                return 2;
            }
            else
            {
                files.Add(a);
            }
        }

        if (files.Count == 0)
        {
            stderr.WriteLine($"flowctl analyze: no capture files given. Usage: {Usage}");
            return 2;
        }

        if (format is not ("jsonl" or "table" or "cef" or "leef" or "ecs"))
        {
            stderr.WriteLine($"flowctl analyze: --format must be jsonl, table, cef, leef or ecs (was '{format}').");
            return 2;
        }

        FlowAnalyzer analyzer;
        try
        {
            settings.ThreatIntel.Files = intelFiles;
            var intel = intelFiles.Count > 0 ? ThreatIntelSet.FromFiles(intelFiles) : null;
            analyzer = new FlowAnalyzer(settings, intel: intel);
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"flowctl analyze: {e.Message} (--networks takes CIDR prefixes such as 10.0.0.0/8,fd00::/8; --intel plain-text block lists)");
            return 2;
        }

        var alerts = new List<Alert>();
        long datagrams = 0, decodeErrors = 0;
        using var buffer = new FlowRecordBuffer(1024);
        foreach (string file in files)
        {
            if (!File.Exists(file))
            {
                stderr.WriteLine($"flowctl analyze: '{file}' does not exist.");
                return 1;
            }

            // Each capture gets its own decoder: template state belongs to the exporters recorded in it.
            var decoder = new FlowDecoder();
            using var reader = PcapReader.Open(file);
            while (reader.TryReadNext(out var d))
            {
                datagrams++;
                buffer.Clear();
                long capturedMs = d.TimestampUs / 1000;
                var result = decoder.Decode(d.Payload.Span, d.Source, capturedMs, buffer);
                if (!result.IsOk) decodeErrors++;
                foreach (ref readonly var record in buffer.Records)
                {
                    if (record.Has(FlowFields.Times))
                    {
                        analyzer.Add(in record, alerts);
                    }
                    else
                    {
                        // No flow times exported: the capture time is the best event time there is.
                        var timed = record;
                        timed.StartMs = timed.EndMs = capturedMs;
                        analyzer.Add(in timed, alerts);
                    }
                }
            }

            if (reader.Error is { } error)
            {
                stderr.WriteLine($"flowctl analyze: {file}: {error}");
            }
        }

        analyzer.Finish(alerts);
        var ordered = alerts.OrderBy(a => a.Time).ThenBy(a => a.Host, StringComparer.Ordinal).ThenBy(a => a.Detector, StringComparer.Ordinal).ThenBy(a => a.Role, StringComparer.Ordinal).ToList();
        // The SIEM renderers, the same ones the sinks use.
        Func<Alert, AlertFormatContext, string>? render = format switch
        {
            "jsonl" => AlertJsonFormatter.Format,
            "cef" => CefFormatter.Format,
            "leef" => LeefFormatter.Format,
            "ecs" => EcsJsonFormatter.Format,
            _ => null,
        };
        if (render is not null)
        {
            foreach (var a in ordered) stdout.WriteLine(render(a, AlertFormatContext.Default));
        }
        else
        {
            WriteTable(ordered, stdout);
        }

        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flowctl analyze: {datagrams} datagrams ({decodeErrors} with decode errors), {analyzer.Records} flow records, {analyzer.HostCount} monitored hosts, {ordered.Count} alerts."));
        return 0;
    }

    private static void WriteTable(List<Alert> alerts, TextWriter o)
    {
        o.WriteLine($"{"TIME",-24} {"HOST",-16} {"ROLE",-6} {"DETECTOR",-16} {"TECHNIQUE",-10} {"SEV",3} {"COUNT",5}  SUMMARY");
        foreach (var a in alerts)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Alert.FormatTime(a.Time),-24} {a.Host,-16} {a.Role,-6} {a.Detector,-16} {a.Technique,-10} {a.Severity,3} {a.Count,5}  {a.Summary}"));
        }
    }
}
