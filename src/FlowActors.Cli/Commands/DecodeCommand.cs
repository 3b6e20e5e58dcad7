using System.Globalization;
using FlowActors.Cli.Formatting;
using FlowActors.Protocols;

namespace FlowActors.Cli.Commands;

/// <summary>
/// <c>flowctl decode FILE... [--format jsonl|csv] [--port N] [--raw [--exporter ADDR]]</c>: decodes NetFlow v5/v9, IPFIX
/// and sFlow v5 datagrams from pcap/pcapng captures (or raw datagram files) through one <see cref="FlowDecoder"/>, in
/// order, printing one record per line and a summary on stderr — the <c>nfdump -r</c> of FlowActors.
/// </summary>
public static class DecodeCommand
{
    /// <summary>Largest raw datagram file accepted (the largest UDP payload).</summary>
    public const int MaxRawDatagram = 65_535;

    /// <summary>Help text.</summary>
    public const string Usage = """
        usage: flowctl decode FILE... [--format jsonl|csv] [--port N] [--raw [--exporter ADDR]]

          Decodes NetFlow v5/v9, IPFIX and sFlow v5 export datagrams and prints one flow record per line.
          FILE         a pcap or pcapng capture (Ethernet, Linux cooked, raw IP; IPv4 or IPv6; UDP to any port),
                       or with --raw a file holding exactly one datagram (the UDP payload)
          --format F   jsonl (default) or csv; absent fields are null / empty
          --port N     only datagrams sent to UDP port N (captures only)
          --raw        every FILE is one raw datagram, decoded in the order given
          --exporter A exporter address for --raw datagrams (default 0.0.0.0; sFlow names its own agent)

          Fields: version, exporter, domain, src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, packets,
          bytes, packets_scaled, bytes_scaled, sampling_rate, start, end (ISO-8601 UTC), input_if, output_if, src_as,
          dst_as, next_hop, src_mask, dst_mask, tos, vlan, icmp_type, icmp_code, direction, flow_end_reason,
          sampler_id, firewall_event. version 105 is sFlow v5, whose records start and end at the receive time:
          the capture time, or a --raw file's modification time.

          All files go through one template cache, so a template in one file decodes data in the next.
          A summary (datagrams, records, errors by kind, held data, sequence gaps) goes to stderr.
          Exit code: 0 done, 1 a file could not be read, 2 usage error.
        """;

    /// <summary>Runs the command with the arguments after <c>decode</c>.</summary>
    public static int Run(ReadOnlySpan<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (!TryParse(args, out var options, out string? problem))
        {
            if (problem is null)
            {
                stdout.WriteLine(Usage);
                return 0;
            }

            stderr.WriteLine($"flowctl decode: {problem}");
            stderr.WriteLine("Run 'flowctl decode --help' for usage.");
            return 2;
        }

        var run = new DecodeRun(options, stdout, stderr);
        return run.Execute();
    }

    /// <summary>Parsed command-line options.</summary>
    internal sealed record Options(IReadOnlyList<string> Files, FlowOutputFormat Format, ushort? Port, bool Raw, FlowAddress Exporter);

    /// <summary>Parses the arguments; on false, <paramref name="problem"/> is null when help was asked for.</summary>
    internal static bool TryParse(ReadOnlySpan<string> args, out Options options, out string? problem)
    {
        var files = new List<string>();
        var format = FlowOutputFormat.JsonLines;
        ushort? port = null;
        bool raw = false;
        FlowAddress? exporter = null;
        options = null!;
        problem = null;
        bool onlyFiles = false;

        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (onlyFiles || !arg.StartsWith('-') || arg == "-")
            {
                files.Add(arg);
                continue;
            }

            string name = arg;
            string? value = null;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 2)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }

            switch (name)
            {
                case "-h":
                case "--help":
                    return false;
                case "--":
                    onlyFiles = true;
                    break;
                case "--raw":
                    raw = true;
                    break;
                case "--format":
                case "--port":
                case "--exporter":
                    if (value is null)
                    {
                        if (i + 1 >= args.Length)
                        {
                            problem = $"{name} needs a value.";
                            return false;
                        }

                        value = args[++i];
                    }

                    if (name == "--format")
                    {
                        switch (value.ToLowerInvariant())
                        {
                            case "jsonl":
                            case "json":
                                format = FlowOutputFormat.JsonLines;
                                break;
                            case "csv":
                                format = FlowOutputFormat.Csv;
                                break;
                            default:
                                problem = $"unknown format '{value}'; use --format jsonl or --format csv.";
                                return false;
                        }
                    }
                    else if (name == "--port")
                    {
                        if (!ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p) || p == 0)
                        {
                            problem = $"--port '{value}' is not a UDP port (1-65535).";
                            return false;
                        }

                        port = p;
                    }
                    else
                    {
                        if (!FlowAddress.TryParse(value, out var a))
                        {
                            problem = $"--exporter '{value}' is not an IPv4 or IPv6 address.";
                            return false;
                        }

                        exporter = a;
                    }

                    break;
                default:
                    problem = $"unknown option '{arg}'.";
                    return false;
            }
        }

        if (files.Count == 0)
        {
            problem = "no input files; give one or more pcap/pcapng captures (or raw datagrams with --raw).";
            return false;
        }

        if (raw && port is not null)
        {
            problem = "--port filters captures; raw datagram files (--raw) have no port.";
            return false;
        }

        if (!raw && exporter is not null)
        {
            problem = "--exporter applies to --raw datagrams; captures carry each datagram's source address.";
            return false;
        }

        options = new Options(files, format, port, raw, exporter ?? FlowAddress.FromV4(0));
        return true;
    }
}
