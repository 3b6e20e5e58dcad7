using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowActors.Protocols.Capture;

namespace FlowActors.Cli.Commands;

/// <summary>
/// <c>flowctl replay FILE... --to HOST:PORT</c>: sends the export datagrams found in pcap/pcapng captures to a
/// collector over UDP, in capture order — as fast as possible or at the capture's own pace (<c>--speed</c>).
/// </summary>
public static class ReplayCommand
{
    /// <summary>Help text.</summary>
    public const string Usage = """
        usage: flowctl replay FILE... --to HOST:PORT [--port N] [--speed X] [--loop N]

          Sends the UDP payloads of a capture (the export datagrams) to a collector, in order.
          --to HOST:PORT   collector address (required)
          --port N         only datagrams that were sent to UDP port N
          --speed X        0 = as fast as possible (default); 1 = the capture's own timing; 2 = twice as fast, ...
          --loop N         play the files N times (default 1)
        A summary (datagrams, bytes, elapsed) goes to stderr. Exit code: 0 done, 1 a file could not be read, 2 usage.
        """;

    /// <summary>Parsed options.</summary>
    internal sealed record Options(IReadOnlyList<string> Files, IPEndPoint Target, ushort? Port, double Speed, int Loops);

    /// <summary>Runs the command with the arguments after <c>replay</c>.</summary>
    public static int Run(ReadOnlySpan<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (!TryParse(args, out var options, out string? problem))
        {
            if (problem is null)
            {
                stdout.WriteLine(Usage);
                return 0;
            }

            stderr.WriteLine($"flowctl replay: {problem}");
            stderr.WriteLine("Run 'flowctl replay --help' for usage.");
            return 2;
        }

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

    /// <summary>Parses the arguments; on false, <paramref name="problem"/> is null when help was asked for.</summary>
    internal static bool TryParse(ReadOnlySpan<string> args, out Options options, out string? problem)
    {
        options = null!;
        problem = null;
        var files = new List<string>();
        IPEndPoint? target = null;
        ushort? port = null;
        double speed = 0;
        int loops = 1;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a is "-h" or "--help") return false;
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                files.Add(a);
                continue;
            }

            if (i + 1 >= args.Length)
            {
                problem = $"option '{a}' needs a value.";
                return false;
            }

            string v = args[++i];
            bool known = true;
            bool ok = false;
            switch (a)
            {
                case "--to":
                    ok = IPEndPoint.TryParse(v, out target) && target.Port != 0;
                    break;
                case "--port":
                    ok = ushort.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p) && p != 0;
                    port = p;
                    break;
                case "--speed":
                    ok = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out speed) && speed >= 0 && double.IsFinite(speed);
                    break;
                case "--loop":
                    ok = int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out loops) && loops >= 1;
                    break;
                default:
                    known = false;
                    break;
            }

            if (!ok)
            {
                problem = known ? $"'{v}' is not a valid value for {a}." : $"unknown option '{a}'.";
                return false;
            }
        }

        if (files.Count == 0)
        {
            problem = "no capture file given.";
            return false;
        }

        if (target is null)
        {
            problem = "--to HOST:PORT is required.";
            return false;
        }

        options = new Options(files, target, port, speed, loops);
        return true;
    }
}
