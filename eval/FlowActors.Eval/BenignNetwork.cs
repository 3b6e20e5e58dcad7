using FlowActors.Protocols;

namespace FlowActors.Eval;

/// <summary>
/// Deterministic synthesised benign traffic at the flow-record level: each conversation becomes the two
/// unidirectional records an exporter such as softflowd sends (cumulative TCP flags, packets, bytes, times), in
/// the order their ends are exported. Fixed seeds; the same call gives the same records.
/// </summary>
public static class BenignNetwork
{
    /// <summary>Start: Monday 2027-03-01 00:00 UTC.</summary>
    public static readonly long T0 = new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    /// <summary>Length of every benign case.</summary>
    public const int Days = 6;

    private const long Second = 1_000, Minute = 60_000, Hour = 3_600_000, Day = 24 * Hour;
    private const ushort Completed = 0x1B; // FIN SYN PSH ACK

    private static FlowAddress Ip(string s) => FlowAddress.Parse(s);

    private static FlowAddress V4(uint a) => FlowAddress.FromV4(a);

    private static uint Parse4(string s)
    {
        var p = s.Split('.');
        return (uint.Parse(p[0]) << 24) | (uint.Parse(p[1]) << 16) | (uint.Parse(p[2]) << 8) | uint.Parse(p[3]);
    }

    private static FlowRecord Record(FlowAddress src, FlowAddress dst, ushort sp, ushort dp, byte proto, ushort flags, ulong packets, ulong bytes, long start, long end, uint srcAs = 0, uint dstAs = 0)
    {
        var r = new FlowRecord
        {
            Version = 9,
            SrcAddr = src,
            DstAddr = dst,
            SrcPort = sp,
            DstPort = dp,
            Protocol = proto,
            TcpFlags = flags,
            Packets = packets,
            Bytes = bytes,
            StartMs = start,
            EndMs = end,
            SamplingRate = 1,
            Present = FlowFields.Times,
        };
        if (srcAs != 0 || dstAs != 0)
        {
            r.SrcAs = srcAs;
            r.DstAs = dstAs;
            r.Present |= FlowFields.AsNumbers;
        }

        return r;
    }

    /// <summary>A conversation: the client's record then the server's.</summary>
    private static void Conv(List<FlowRecord> o, FlowAddress client, FlowAddress server, ushort cport, ushort sport, byte proto, long start, long durMs, ulong up, ulong down, uint serverAs = 0)
    {
        ulong pu = Math.Max(1, up / 600), pd = Math.Max(1, down / 1200);
        ushort f = proto == 6 ? Completed : (ushort)0;
        o.Add(Record(client, server, cport, sport, proto, f, pu + (proto == 6 ? 3UL : 0), up, start, start + durMs, dstAs: serverAs));
        o.Add(Record(server, client, sport, cport, proto, f, pd + (proto == 6 ? 2UL : 0), down, start + 1, start + durMs, srcAs: serverAs));
    }

    private static ushort Eph(Random r) => (ushort)r.Next(49_152, 65_000);

    private static double LogNormal(Random r, double median, double sigma)
    {
        double u1 = 1 - r.NextDouble(), u2 = r.NextDouble();
        double z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        return median * Math.Exp(sigma * z);
    }

    private static bool Working(long t)
    {
        long inDay = (t - T0) % Day;
        int day = (int)((t - T0) / Day);
        return day % 7 < 5 && inDay >= 8 * Hour && inDay < 18 * Hour;
    }

    private static IEnumerable<FlowRecord> Ordered(List<FlowRecord> records)
    {
        // Exporters send records roughly in end-time order; a stable sort keeps each conversation's two records together.
        return records.OrderBy(r => r.EndMs);
    }

    private static readonly FlowAddress Telemetry = Ip("13.107.4.50");   // Microsoft front (allowlisted CIDR)
    private static readonly FlowAddress UpdateFront = Ip("40.76.4.15");  // announced by AS 8075
    private static readonly FlowAddress AvCloud = Ip("34.117.59.81");    // an antivirus vendor's cloud: not allowlisted
    private static readonly FlowAddress ResolverAddress = Ip("10.20.0.53");
    private static readonly FlowAddress FileServer = Ip("10.20.1.10");

    /// <summary>One Windows-like workstation's traffic from <paramref name="from"/> to the end of the case.</summary>
    private static void Workstation(List<FlowRecord> o, FlowAddress host, long from, Random r)
    {
        long end = T0 + (Days * Day);
        // Telemetry: every 300 s, a steady small exchange (the classic false beacon).
        for (long t = from + r.Next(0, 300_000); t < end; t += 300_000 + r.Next(-500, 500))
            Conv(o, host, Telemetry, Eph(r), 443, 6, t, 400, (ulong)r.Next(2_800, 3_100), (ulong)r.Next(5_000, 5_400));
        // Update checks: hourly +-5 min.
        for (long t = from + r.Next(0, 3_600_000); t < end; t += Hour + r.Next(-300_000, 300_000))
            Conv(o, host, UpdateFront, Eph(r), 443, 6, t, 900, (ulong)r.Next(1_800, 2_000), (ulong)r.Next(9_000, 9_500), serverAs: 8075);
        // Antivirus cloud lookups: every 900 s, on every workstation.
        for (long t = from + r.Next(0, 900_000); t < end; t += 900_000 + r.Next(-2_000, 2_000))
            Conv(o, host, AvCloud, Eph(r), 443, 6, t, 300, (ulong)r.Next(1_500, 1_600), (ulong)r.Next(2_000, 2_200));
        // Working hours: page loads (8-35 CDN hosts within 3 s, every size), DNS first, SMB to the file server.
        for (long t = from; t < end; t += Minute)
        {
            if (!Working(t)) continue;
            if (r.NextDouble() < 0.12)
            {
                long at = t + r.Next(0, 55_000);
                int hosts = r.Next(8, 36);
                Conv(o, host, ResolverAddress, Eph(r), 53, 17, at - 50, 20, 70, 200);
                for (int k = 0; k < hosts; k++)
                {
                    var cdn = V4(Parse4("151.101.0.0") + (uint)r.Next(0, 400));
                    Conv(o, host, cdn, Eph(r), 443, 6, at + r.Next(0, 3_000), r.Next(200, 20_000), (ulong)LogNormal(r, 1_500, 0.8), (ulong)LogNormal(r, 40_000, 1.5));
                }
            }

            if (r.NextDouble() < 0.05)
                Conv(o, host, FileServer, Eph(r), 445, 6, t + r.Next(0, 50_000), r.Next(1_000, 60_000), (ulong)LogNormal(r, 20_000, 1), (ulong)LogNormal(r, 200_000, 1.2));
            if (r.NextDouble() < 0.2)
                Conv(o, host, ResolverAddress, Eph(r), 53, 17, t + r.Next(0, 59_000), 20, 70, 180);
        }
    }

    /// <summary>Windows-like workstations 10.20.0.11.. for six days.</summary>
    public static IEnumerable<FlowRecord> Windows(int hosts, int seed)
    {
        var r = new Random(seed);
        var o = new List<FlowRecord>();
        for (int i = 0; i < hosts; i++) Workstation(o, Ip($"10.20.0.{11 + i}"), T0, r);
        return Ordered(o);
    }

    /// <summary>A workstation that first appears at day 2.5, with three established colleagues.</summary>
    public static IEnumerable<FlowRecord> LateHost(int seed)
    {
        var r = new Random(seed);
        var o = new List<FlowRecord>();
        Workstation(o, Ip("10.20.0.31"), T0, r);
        Workstation(o, Ip("10.20.0.32"), T0, r);
        Workstation(o, Ip("10.20.0.33"), T0, r);
        Workstation(o, Ip("10.20.0.40"), T0 + (5 * Day / 2), r);
        return Ordered(o);
    }

    /// <summary>Linux servers 10.20.1.21.. for six days.</summary>
    public static IEnumerable<FlowRecord> Linux(int hosts, int seed)
    {
        var r = new Random(seed);
        var o = new List<FlowRecord>();
        long end = T0 + (Days * Day);
        FlowAddress[] pool = [Ip("162.159.200.1"), Ip("129.6.15.28"), Ip("194.58.200.20")];
        FlowAddress[] mirrors = [Ip("151.101.2.132"), Ip("199.232.18.132")];
        var saas = Ip("3.233.10.20");
        var prometheus = Ip("10.20.0.100");
        var backup = Ip("10.20.1.10");
        for (int i = 0; i < hosts; i++)
        {
            var host = Ip($"10.20.1.{21 + i}");
            foreach (var server in pool)
            {
                int poll = 64;
                for (long t = T0 + r.Next(0, 64_000); t < end; t += poll * Second)
                {
                    o.Add(Record(host, server, 123, 123, 17, 0, 1, 76, t, t));
                    o.Add(Record(server, host, 123, 123, 17, 0, 1, 76, t + 20, t + 20));
                    poll = Math.Min(1024, poll * 2);
                }
            }

            for (long d = 0; d < Days; d++)
            {
                foreach (long half in (long[])[6 * Hour, 18 * Hour])
                {
                    long t = T0 + (d * Day) + half + r.Next(0, 12 * 3_600_000 / 2);
                    var mirror = mirrors[r.Next(mirrors.Length)];
                    Conv(o, host, mirror, Eph(r), 80, 6, t, 2_000, 3_000, 400_000);
                    if (r.NextDouble() < 0.3) Conv(o, host, mirror, Eph(r), 80, 6, t + 5_000, 40_000, 40_000, (ulong)r.Next(1_000_000, 30_000_000));
                }

                long b = T0 + (d * Day) + (2 * Hour) + r.Next(0, 600_000);
                Conv(o, host, backup, Eph(r), 22, 6, b, 600_000, (ulong)r.Next(30_000_000, 200_000_000), 500_000);
            }

            for (long t = T0 + r.Next(0, 30_000); t < end; t += 30_000 + r.Next(-300, 300))
                Conv(o, host, saas, Eph(r), 443, 6, t, 150, (ulong)r.Next(1_900, 2_300), 600);
            for (long t = T0 + r.Next(0, 30_000); t < end; t += 30_000)
                Conv(o, prometheus, host, Eph(r), 9100, 6, t, 30, 300, (ulong)r.Next(20_000, 24_000));
            for (long t = T0; t < end; t += Hour)
            {
                if (Working(t) && r.NextDouble() < 0.3)
                    Conv(o, Ip("10.20.0.11"), host, Eph(r), 22, 6, t + r.Next(0, 3_000_000), r.Next(60_000, 900_000), 20_000, 200_000);
            }
        }

        return Ordered(o);
    }

    /// <summary>Public web servers 203.0.113.81.. for six days.</summary>
    public static IEnumerable<FlowRecord> Web(int hosts, int seed)
    {
        var r = new Random(seed);
        var o = new List<FlowRecord>();
        long end = T0 + (Days * Day);
        var db = Ip("10.20.2.5");
        for (int i = 0; i < hosts; i++)
        {
            var host = Ip($"203.0.113.{81 + i}");
            for (long t = T0; t < end; t += Minute)
            {
                long inDay = (t - T0) % Day;
                int sessions = inDay is >= 7 * Hour and < 23 * Hour ? r.Next(5, 12) : r.Next(1, 4);
                for (int k = 0; k < sessions; k++)
                {
                    var client = V4((uint)r.Next(0x0B00_0000, 0x7F00_0000)); // 11.0.0.0-126.255.255.255
                    ulong down = r.NextDouble() < 0.002 ? (ulong)r.Next(5_000_000, 50_000_000) : (ulong)LogNormal(r, 30_000, 1.5);
                    Conv(o, client, host, Eph(r), 443, 6, t + r.Next(0, 59_000), r.Next(100, 30_000), (ulong)LogNormal(r, 1_500, 0.7), down);
                    if (r.NextDouble() < 0.3) Conv(o, host, db, Eph(r), 5432, 6, t + r.Next(0, 59_000), 20, 600, (ulong)LogNormal(r, 3_000, 1));
                }

                if (r.NextDouble() < 0.3)
                {
                    // A drive-by probe of one port (answered RST).
                    var scanner = V4((uint)r.Next(0x0B00_0000, 0x7F00_0000));
                    ushort port = (ushort)r.Next(1, 10_000);
                    long at = t + r.Next(0, 59_000);
                    o.Add(Record(scanner, host, Eph(r), port, 6, 0x02, 1, 44, at, at));
                    o.Add(Record(host, scanner, port, 40_000, 6, 0x14, 1, 40, at + 1, at + 1));
                }
            }
        }

        return Ordered(o);
    }

    /// <summary>A recursive resolver 10.20.0.53 for six days.</summary>
    public static IEnumerable<FlowRecord> Resolver(int seed)
    {
        var r = new Random(seed);
        var o = new List<FlowRecord>();
        long end = T0 + (Days * Day);
        for (long t = T0; t < end; t += Minute)
        {
            int queries = Working(t) ? r.Next(10, 25) : r.Next(1, 5);
            for (int k = 0; k < queries; k++)
            {
                var client = Ip($"10.20.0.{100 + r.Next(0, 30)}");
                long at = t + r.Next(0, 59_000);
                Conv(o, client, ResolverAddress, Eph(r), 53, 17, at, 30, 70, (ulong)r.Next(90, 400));
                if (r.NextDouble() < 0.4)
                {
                    var auth = V4(Parse4("192.5.0.0") + (uint)r.Next(0, 2_000) * 7);
                    Conv(o, ResolverAddress, auth, Eph(r), 53, 17, at + 1, 25, 75, (ulong)r.Next(90, 500));
                }
            }
        }

        return Ordered(o);
    }

    /// <summary>Two public hosts under Internet background radiation for six days.</summary>
    public static IEnumerable<FlowRecord> PublicScanned(int seed)
    {
        var r = new Random(seed);
        var o = new List<FlowRecord>();
        long end = T0 + (Days * Day);
        FlowAddress[] hosts = [Ip("203.0.113.90"), Ip("203.0.113.91")];
        ushort[] popular = [22, 23, 80, 443, 445, 3389, 8080, 5900, 1433, 3306, 6379, 9200, 25, 21, 53, 123, 161, 1900, 5060, 11211];
        for (long t = T0; t < end; t += Hour)
        {
            for (int s = 0; s < 30; s++)
            {
                var scanner = V4((uint)r.Next(0x0B00_0000, 0x7F00_0000));
                var host = hosts[r.Next(hosts.Length)];
                int ports = r.Next(1, 4);
                long at = t + r.Next(0, 3_500_000);
                for (int p = 0; p < ports; p++) Probe(o, r, scanner, host, popular[r.Next(popular.Length)], at + (p * 1_000));
            }

            if (r.NextDouble() < 0.5)
            {
                // An SSH bot: a few password guesses (well below brute force) on the host with sshd.
                var bot = V4((uint)r.Next(0x0B00_0000, 0x7F00_0000));
                long at = t + r.Next(0, 3_000_000);
                for (int k = 0; k < r.Next(2, 6); k++) Conv(o, bot, hosts[0], Eph(r), 22, 6, at + (k * 8_000), 4_000, 2_200, 3_000);
            }
        }

        for (int d = 0; d < Days; d++)
        {
            // One heavy scanner a day: 20-40 ports over up to 90 minutes (a real scan: reported once).
            var scanner = V4((uint)r.Next(0x0B00_0000, 0x7F00_0000));
            var host = hosts[r.Next(hosts.Length)];
            int ports = r.Next(20, 41);
            long at = T0 + (d * Day) + r.Next(0, 20 * 3_600_000);
            long gap = r.Next(1_000, 135_000);
            for (int p = 0; p < ports; p++) Probe(o, r, scanner, host, (ushort)(1_000 + (p * 37)), at + (p * gap));
        }

        return Ordered(o);
    }

    /// <summary>One probe and the host's answer: SYN-ACK from sshd (then the scanner's RST), RST from a closed TCP port, ICMP port-unreachable or nothing for UDP.</summary>
    private static void Probe(List<FlowRecord> o, Random r, FlowAddress scanner, FlowAddress host, ushort port, long at)
    {
        ushort sport = (ushort)r.Next(1_024, 65_000);
        bool udp = port is 53 or 123 or 161 or 1900 or 5060 or 11211;
        if (udp)
        {
            o.Add(Record(scanner, host, sport, port, 17, 0, 1, 60, at, at));
            if (r.NextDouble() < 0.7) o.Add(Record(host, scanner, 0, (3 << 8) | 3, 1, 0, 1, 88, at + 1, at + 1));
            return;
        }

        bool open = port == 22 && host.Equals(FlowAddress.Parse("203.0.113.90"));
        o.Add(Record(scanner, host, sport, port, 6, open ? (ushort)0x06 : (ushort)0x02, open ? 2UL : 1UL, open ? 84UL : 44UL, at, at + 2));
        o.Add(Record(host, scanner, port, sport, 6, open ? (ushort)0x12 : (ushort)0x14, 1, open ? 44UL : 40UL, at + 1, at + 1));
    }
}
