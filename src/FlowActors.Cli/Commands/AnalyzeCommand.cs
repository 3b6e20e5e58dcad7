using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using FlowActors.Cli.Parsing;
using FlowActors.Detection;
using FlowActors.Protocols;
using FlowActors.Protocols.Capture;
using FlowActors.Siem.Formats;

namespace FlowActors.Cli.Commands;

/// <summary>
/// <c>flowctl analyze FILE...</c>: decodes captures of NetFlow/IPFIX/sFlow
/// export datagrams, runs every monitored host's detectors over the flows' own event time and prints the alerts.
/// </summary>
internal static class AnalyzeCommand
{
    private static readonly string[] Formats = ["jsonl", "table", "cef", "leef", "ecs"];

    /// <summary>The <c>analyze</c> command, run through <paramref name="flowctl"/>'s streams.</summary>
    public static Command Create(Flowctl flowctl)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "pcap or pcapng captures of NetFlow/IPFIX/sFlow export datagrams; each gets its own decoder",
            Arity = ArgumentArity.OneOrMore,
        }.WhenMissing("no capture files given.");
        var format = new Option<string>("--format")
        {
            HelpName = "jsonl|table|cef|leef|ecs",
            Description = "alert output: the SIEM renderings the sinks use, or an aligned table",
            DefaultValueFactory = _ => "jsonl",
            CustomParser = result => Formats.Contains(ValueParsers.Token(result))
                ? ValueParsers.Token(result)
                : Fail(result, $"--format must be jsonl, table, cef, leef or ecs (was '{ValueParsers.Token(result)}')."),
        };
        format.CompletionSources.Add(Formats);
        var networks = new Option<string[]>("--networks")
        {
            HelpName = "CIDR,...",
            Description = "monitored networks (default the detection defaults), e.g. 10.0.0.0/8,fd00::/8",
            CustomParser = result => [.. result.Tokens.SelectMany(t => ValueParsers.SplitList(t.Value))],
            AllowMultipleArgumentsPerToken = false,
        };
        var intel = new Option<string[]>("--intel")
        {
            HelpName = "BLOCKLIST,...",
            Description = "plain-text block lists (one address or CIDR per line) for the threat-intel detector",
            CustomParser = result => [.. result.Tokens.SelectMany(t => ValueParsers.SplitList(t.Value))],
        };
        ValueParsers.FilesExist(intel);
        var command = new Command("analyze", "Offline detection: decode captures, run every monitored host's detectors over the flows' own event time, print the alerts. A summary goes to stderr.")
        {
            files, format, networks, intel,
        };
        command.SetAction(parseResult =>
        {
            if (ValueParsers.UnknownOption(parseResult, files) is { } unknown) return flowctl.UsageError(parseResult, $"unknown option '{unknown}'.");
            return Run(parseResult.GetValue(files) ?? [], parseResult.GetValue(format) ?? "jsonl", parseResult.GetValue(networks), parseResult.GetValue(intel) ?? [], flowctl.Output, flowctl.Error);
        });
        return command;
    }

    private static string Fail(ArgumentResult result, string message)
    {
        result.AddError(message);
        return "";
    }

    /// <summary>Analyses <paramref name="files"/> and prints the alerts in <paramref name="format"/>.</summary>
    private static int Run(IReadOnlyList<string> files, string format, string[]? networks, IReadOnlyList<string> intelFiles, TextWriter stdout, TextWriter stderr)
    {
        var settings = new DetectionSettings();
        if (networks is { Length: > 0 }) settings.Networks = [.. networks];
        FlowAnalyzer analyzer;
        try
        {
            settings.ThreatIntel.Files = [.. intelFiles];
            var intel = intelFiles.Count > 0 ? ThreatIntelSet.FromFiles(intelFiles) : null;
            analyzer = new FlowAnalyzer(settings, intel: intel);
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"flowctl analyze: {e.Message} (--networks takes CIDR prefixes such as 10.0.0.0/8,fd00::/8; --intel plain-text block lists)");
            return ExitCodes.Usage;
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
