using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowActors.Cli.Parsing;
using FlowActors.Protocols.Capture;

namespace FlowActors.Cli.Commands;

/// <summary>
/// <c>flowctl replay FILE... --to HOST:PORT</c>: sends the export datagrams found in pcap/pcapng captures to a
/// collector over UDP, in capture order — as fast as possible or at the capture's own pace (<c>--speed</c>).
/// </summary>
public static class ReplayCommand
{
    /// <summary>The <c>replay</c> command, run through <paramref name="flowctl"/>'s streams.</summary>
    internal static Command Create(Flowctl flowctl)
    {
        var files = new Argument<string[]>("FILE")
        {
            Description = "pcap or pcapng captures; their UDP payloads (the export datagrams) are sent in order",
            Arity = ArgumentArity.OneOrMore,
        }.WhenMissing("no capture file given.");
        var to = TargetOption();
        var port = new Option<ushort?>("--port")
        {
            HelpName = "N",
            Description = "only datagrams that were sent to UDP port N",
            CustomParser = r => ValueParsers.Parse<ushort>(r, ValueParsers.TryPort, "Give a UDP port, 1-65535."),
        };
        var speed = new Option<double>("--speed")
        {
            HelpName = "X",
            Description = "0 = as fast as possible (default); 1 = the capture's own timing; 2 = twice as fast, ...",
            CustomParser = r => ValueParsers.Parse<double>(r, (string t, out double v) =>
                double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && v >= 0 && double.IsFinite(v), "Give a speed factor of 0 or more."),
        };
        var loop = new Option<int>("--loop")
        {
            HelpName = "N",
            Description = "play the files N times",
            DefaultValueFactory = _ => 1,
            CustomParser = r => (int)ValueParsers.Parse(r, ValueParsers.Range(1, int.MaxValue), "Give a number of times, 1 or more."),
        };
        var command = new Command("replay", "Send a capture's export datagrams to a collector over UDP, in capture order. A summary (datagrams, bytes, elapsed) goes to stderr.")
        {
            files, to, port, speed, loop,
        };
        command.SetAction(parseResult =>
        {
            if (ValueParsers.UnknownOption(parseResult, files) is { } unknown) return flowctl.UsageError(parseResult, $"unknown option '{unknown}'.");
            if (parseResult.GetValue(to) is not { } target) return flowctl.UsageError(parseResult, "--to HOST:PORT is required.");
            var options = new Options(parseResult.GetValue(files) ?? [], target, parseResult.GetValue(port), parseResult.GetValue(speed), parseResult.GetValue(loop));
            return Run(options, flowctl.Error);
        });
        return command;
    }

    /// <summary>The <c>--to HOST:PORT</c> option of <c>replay</c> and <c>generate</c>.</summary>
    internal static Option<IPEndPoint> TargetOption() => new("--to")
    {
        HelpName = "HOST:PORT",
        Description = "collector address (required), e.g. 127.0.0.1:2055 or [::1]:2055",
        CustomParser = r => ValueParsers.Parse<IPEndPoint>(r, ValueParsers.TryEndPoint, "Give HOST:PORT with an IP address (or localhost) and a port 1-65535."),
    };

    /// <summary>Parsed options.</summary>
    internal sealed record Options(IReadOnlyList<string> Files, IPEndPoint Target, ushort? Port, double Speed, int Loops);

    /// <summary>Sends the captures of <paramref name="options"/>; the summary goes to <paramref name="stderr"/>.</summary>
    private static int Run(Options options, TextWriter stderr)
    {
        using var socket = new Socket(options.Target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(options.Target);
        var clock = Stopwatch.StartNew();
        long datagrams = 0, bytes = 0;
        for (int loop = 0; loop < options.Loops; loop++)
        {
            foreach (string file in options.Files)
            {
                using var reader = OpenOrReport(file, stderr);
                if (reader is null) return 1;
                var pacing = options.Speed > 0 ? ReplayPacing.CaptureTiming(options.Speed) : ReplayPacing.AsFastAsPossible;
                var sent = CaptureReplay.SendAsync(reader, socket, target: null, pacing).GetAwaiter().GetResult();
                datagrams += sent.Datagrams;
                bytes += sent.Bytes;
                if (sent.Error is not null)
                {
                    stderr.WriteLine($"flowctl replay: {file}: {sent.Error}");
                    return 1;
                }
            }
        }

        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"datagrams: {datagrams}\nbytes: {bytes}\nelapsed: {clock.Elapsed.TotalSeconds:F3} s"));
        return 0;

        PcapReader? OpenOrReport(string file, TextWriter err)
        {
            try
            {
                return new PcapReader(File.OpenRead(file)) { PortFilter = options.Port };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                err.WriteLine($"flowctl replay: cannot read '{file}': {e.Message}");
                return null;
            }
        }
    }
}
