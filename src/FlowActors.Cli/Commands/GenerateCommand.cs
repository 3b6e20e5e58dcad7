using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FlowActors.Cli.Parsing;

namespace FlowActors.Cli.Commands;

/// <summary>
/// <c>flowctl generate --to HOST:PORT ...</c>: exports synthetic NetFlow v9 traffic to a collector over UDP, at a
/// chosen rate, for load tests and the end-to-end benchmark. Benign by construction (web, DNS and NTP from a set of
/// internal hosts to external peers), so it measures throughput, not detection.
/// </summary>
/// <remarks>Sends only to the address given; tests and benchmarks point it at loopback.</remarks>
public static class GenerateCommand
{
    private const ushort TemplateId = 256;
    private const int RecordLength = 30; // 8/4 12/4 7/2 11/2 4/1 6/1 2/4 1/4 22/4 21/4

    /// <summary>Parsed options.</summary>
    internal sealed record Options(IPEndPoint Target, long Flows, int Hosts, long Rate, int PerDatagram, bool InternalPeers, int Seed, uint SourceId);

    /// <summary>The <c>generate</c> command, run through <paramref name="flowctl"/>'s streams.</summary>
    internal static Command Create(Flowctl flowctl)
    {
        var to = ReplayCommand.TargetOption();
        var flows = Number("--flows", "flows to send", 1, long.MaxValue, 1_000_000);
        var hosts = Number("--hosts", "distinct internal source hosts, in 10.0.0.0/8", 1, 16_000_000, 1_000);
        var rate = Number("--rate", "flows per second, 0 = as fast as possible", 0, long.MaxValue, 0);
        var perDatagram = Number("--per-datagram", "records per datagram, 1-40", 1, 40, 25);
        var internalPeers = new Option<bool>("--internal-peers") { Description = "peers are internal too (192.168.0.0/16), so both ends are monitored hosts" };
        var seed = new Option<int>("--seed")
        {
            HelpName = "N",
            Description = "random seed",
            DefaultValueFactory = _ => 1,
            CustomParser = r => ValueParsers.Parse<int>(r, (string t, out int v) => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), "Give a whole number."),
        };
        var sourceId = Number("--source-id", "NetFlow v9 source id", 0, uint.MaxValue, 0);
        var command = new Command("generate", "Export synthetic NetFlow v9 flows (softflowd-like IPv4 template) over UDP, for load tests. Benign by construction: web, DNS and NTP. A summary (datagrams, flows, elapsed, rate) goes to stderr.")
        {
            to, flows, hosts, rate, perDatagram, internalPeers, seed, sourceId,
        };
        command.SetAction(parseResult =>
        {
            if (parseResult.GetValue(to) is not { } target) return flowctl.UsageError(parseResult, "--to HOST:PORT is required.");
            var options = new Options(target, parseResult.GetValue(flows), (int)parseResult.GetValue(hosts), parseResult.GetValue(rate),
                (int)parseResult.GetValue(perDatagram), parseResult.GetValue(internalPeers), parseResult.GetValue(seed), (uint)parseResult.GetValue(sourceId));
            return Run(options, flowctl.Error);
        });
        return command;

        static Option<long> Number(string name, string description, long min, long max, long defaultValue) => new(name)
        {
            HelpName = "N",
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => ValueParsers.Parse(r, ValueParsers.Range(min, max), max == long.MaxValue ? $"Give a whole number, {min} or more." : $"Give a whole number from {min} to {max}."),
        };
    }

    /// <summary>Sends the flows of <paramref name="options"/>; the summary goes to <paramref name="stderr"/>.</summary>
    private static int Run(Options options, TextWriter stderr)
    {
        using var socket = new Socket(options.Target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.SendBufferSize = 4 * 1024 * 1024;
        socket.Connect(options.Target);
        var writer = new NetFlowV9LoadWriter(options);
        var buffer = new byte[20 + 4 + 4 + 40 + 4 + options.PerDatagram * RecordLength + 4];
        var clock = Stopwatch.StartNew();
        long sent = 0;
        long datagrams = 0;
        while (sent < options.Flows)
        {
            int records = (int)Math.Min(options.PerDatagram, options.Flows - sent);
            bool withTemplate = datagrams % 256 == 0; // UDP loses templates; resend them regularly as exporters do
            int length = writer.Write(buffer, records, withTemplate, clock.ElapsedMilliseconds);
            socket.Send(buffer.AsSpan(0, length));
            sent += records;
            datagrams++;
            if (options.Rate > 0)
            {
                // Pace on the average: sleep only when ahead of schedule, so bursts stay datagram-sized.
                long dueMs = sent * 1000 / options.Rate;
                long aheadMs = dueMs - clock.ElapsedMilliseconds;
                if (aheadMs > 2) Thread.Sleep((int)aheadMs);
            }
        }

        double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"datagrams: {datagrams}\nflows: {sent}\nelapsed: {seconds:F3} s\nrate: {sent / seconds:F0} flows/s"));
        return 0;
    }

    /// <summary>Writes NetFlow v9 export packets (RFC 3954) of synthetic flows into a caller's buffer.</summary>
    internal sealed class NetFlowV9LoadWriter(Options options)
    {
        private static readonly ushort[] Fields = [8, 4, 12, 4, 7, 2, 11, 2, 4, 1, 6, 1, 2, 4, 1, 4, 22, 4, 21, 4];
        private readonly Random _random = new(options.Seed);
        private uint _sequence;

        /// <summary>Writes one export packet; returns its length.</summary>
        public int Write(Span<byte> buffer, int records, bool withTemplate, long uptimeMs)
        {
            uint uptime = (uint)(uptimeMs + 60_000); // flows started up to a minute before "now"
            uint unixSecs = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            int pos = 20;
            if (withTemplate)
            {
                int start = pos;
                BinaryPrimitives.WriteUInt16BigEndian(buffer[pos..], 0); // template flowset
                pos += 4;
                BinaryPrimitives.WriteUInt16BigEndian(buffer[pos..], TemplateId);
                BinaryPrimitives.WriteUInt16BigEndian(buffer[(pos + 2)..], (ushort)(Fields.Length / 2));
                pos += 4;
                foreach (ushort f in Fields)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(buffer[pos..], f);
                    pos += 2;
                }

                BinaryPrimitives.WriteUInt16BigEndian(buffer[(start + 2)..], (ushort)(pos - start));
            }

            int dataStart = pos;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[pos..], TemplateId);
            pos += 4;
            for (int i = 0; i < records; i++)
            {
                uint host = 0x0A00_0000u + 1 + (uint)_random.Next(options.Hosts);
                uint peer = options.InternalPeers
                    ? 0xC0A8_0000u + (uint)_random.Next(1, 65_535)
                    : 0xCB00_7100u + (uint)_random.Next(1, 255); // 203.0.113.0/24 (TEST-NET-3): only ever a value in the payload
                int kind = _random.Next(10);
                ushort dstPort = kind switch { < 6 => (ushort)443, < 8 => (ushort)80, 8 => (ushort)53, _ => (ushort)123 };
                byte protocol = dstPort is 53 or 123 ? (byte)17 : (byte)6;
                uint packets = (uint)_random.Next(1, 40);
                uint bytes = packets * (uint)_random.Next(60, 1400);
                uint last = uptime - (uint)_random.Next(0, 1_000);
                uint first = last - (uint)_random.Next(0, 20_000);
                var r = buffer[pos..];
                BinaryPrimitives.WriteUInt32BigEndian(r, host);
                BinaryPrimitives.WriteUInt32BigEndian(r[4..], peer);
                BinaryPrimitives.WriteUInt16BigEndian(r[8..], (ushort)_random.Next(32_768, 61_000));
                BinaryPrimitives.WriteUInt16BigEndian(r[10..], dstPort);
                r[12] = protocol;
                r[13] = protocol == 6 ? (byte)0x1B : (byte)0; // SYN|ACK|PSH|FIN: a completed TCP conversation
                BinaryPrimitives.WriteUInt32BigEndian(r[14..], packets);
                BinaryPrimitives.WriteUInt32BigEndian(r[18..], bytes);
                BinaryPrimitives.WriteUInt32BigEndian(r[22..], first);
                BinaryPrimitives.WriteUInt32BigEndian(r[26..], last);
                pos += RecordLength;
            }

            while ((pos - dataStart) % 4 != 0) buffer[pos++] = 0; // RFC 3954 §5.3 padding to 32 bits
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(dataStart + 2)..], (ushort)(pos - dataStart));

            BinaryPrimitives.WriteUInt16BigEndian(buffer, 9);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)(records + (withTemplate ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], uptime);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], unixSecs);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[12..], _sequence++);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[16..], options.SourceId);
            return pos;
        }
    }
}
