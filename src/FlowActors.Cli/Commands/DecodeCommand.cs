using System.CommandLine;
using System.CommandLine.Parsing;
using FlowActors.Cli.Parsing;
using FlowActors.Cli.Formatting;
using FlowActors.Protocols;

namespace FlowActors.Cli.Commands;

/// <summary>
/// <c>flowctl decode FILE...</c>: decodes NetFlow v5/v9, IPFIX
/// and sFlow v5 datagrams from pcap/pcapng captures (or raw datagram files) through one <see cref="FlowDecoder"/>, in
/// order, printing one record per line and a summary on stderr — the <c>nfdump -r</c> of FlowActors.
/// </summary>
public static class DecodeCommand
{
    /// <summary>Largest raw datagram file accepted (the largest UDP payload).</summary>
    public const int MaxRawDatagram = 65_535;

    /// <summary>The <c>decode</c> command, run through <paramref name="flowctl"/>'s streams.</summary>
    internal static Command Create(Flowctl flowctl)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "pcap or pcapng captures (Ethernet, Linux cooked, raw IP; IPv4 or IPv6; UDP to any port), or with --raw files of exactly one datagram (the UDP payload); all go through one template cache, in the order given",
            Arity = ArgumentArity.OneOrMore,
        }.WhenMissing("no input files; give one or more pcap/pcapng captures (or raw datagrams with --raw).");
        var format = new Option<FlowOutputFormat?>("--format")
        {
            HelpName = "jsonl|csv",
            Description = "output format (default jsonl); absent fields are null (jsonl) or empty (csv). Fields: version, exporter, domain, src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, packets, bytes, packets_scaled, bytes_scaled, sampling_rate, start, end (ISO-8601 UTC), input_if, output_if, src_as, dst_as, next_hop, src_mask, dst_mask, tos, vlan, icmp_type, icmp_code, direction, flow_end_reason, sampler_id, firewall_event. Version 105 is sFlow v5, whose records start and end at the receive time: the capture time, or a --raw file's modification time.",
            CustomParser = result => ValueParsers.Token(result).ToLowerInvariant() switch
            {
                "jsonl" or "json" => FlowOutputFormat.JsonLines,
                "csv" => FlowOutputFormat.Csv,
                var other => Fail<FlowOutputFormat?>(result, $"unknown format '{other}'; use --format jsonl or --format csv."),
            },
        };
        format.CompletionSources.Add("jsonl", "csv");
        var port = new Option<ushort?>("--port")
        {
            HelpName = "N",
            Description = "only datagrams sent to UDP port N (captures only)",
            CustomParser = result => ValueParsers.TryPort(ValueParsers.Token(result), out ushort p)
                ? p
                : Fail<ushort?>(result, $"--port '{ValueParsers.Token(result)}' is not a UDP port (1-65535)."),
        };
        var raw = new Option<bool>("--raw") { Description = "every FILE is one raw datagram, decoded in the order given" };
        var exporter = new Option<FlowAddress?>("--exporter")
        {
            HelpName = "ADDR",
            Description = "exporter address for --raw datagrams (default 0.0.0.0; sFlow names its own agent)",
            CustomParser = result => FlowAddress.TryParse(ValueParsers.Token(result), out var a)
                ? a
                : Fail<FlowAddress?>(result, $"--exporter '{ValueParsers.Token(result)}' is not an IPv4 or IPv6 address."),
        };
        var command = new Command("decode", "Decode NetFlow v5/v9, IPFIX and sFlow v5 export datagrams and print one flow record per line (the nfdump -r of FlowActors). A summary (datagrams, records, errors by kind, held data, sequence gaps) goes to stderr.")
        {
            files, format, port, raw, exporter,
        };
        command.Validators.Add(result =>
        {
            // Presence, not value: a malformed value has its own error already.
            bool isRaw = result.GetResult(raw) is { Implicit: false };
            if (isRaw && result.GetResult(port) is { Implicit: false }) result.AddError("--port filters captures; raw datagram files (--raw) have no port.");
            if (!isRaw && result.GetResult(exporter) is { Implicit: false }) result.AddError("--exporter applies to --raw datagrams; captures carry each datagram's source address.");
        });
        command.SetAction(parseResult =>
        {
            if (ValueParsers.UnknownOption(parseResult, files) is { } unknown) return flowctl.UsageError(parseResult, $"unknown option '{unknown}'.");
            var options = new Options(
                parseResult.GetValue(files) ?? [],
                parseResult.GetValue(format) ?? FlowOutputFormat.JsonLines,
                parseResult.GetValue(port),
                parseResult.GetValue(raw),
                parseResult.GetValue(exporter) ?? FlowAddress.FromV4(0));
            return new DecodeRun(options, flowctl.Output, flowctl.Error).Execute();
        });
        return command;
    }

    /// <summary>Parsed command-line options.</summary>
    internal sealed record Options(IReadOnlyList<string> Files, FlowOutputFormat Format, ushort? Port, bool Raw, FlowAddress Exporter);

    private static T Fail<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}
