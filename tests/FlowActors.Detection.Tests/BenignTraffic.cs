using FlowActors.Protocols;

namespace FlowActors.Detection.Tests;

using static Traffic;

/// <summary>
/// Seeded synthetic benign traffic for long stretches of event time: web browsing, DNS, NTP, nightly backups,
/// a busy web server and a DNS resolver. Each conversation yields both directions' records, as unidirectional
/// exporters (softflowd, routers) send them. Output is ordered by flow end time.
/// </summary>
internal static class BenignTraffic
{
    private static readonly FlowAddress Resolver = Ip("10.0.0.53");
    private static readonly FlowAddress BackupServer = Ip("10.0.1.10");
    private static readonly FlowAddress FileServer = Ip("10.0.1.20");
    private static readonly FlowAddress Database = Ip("10.0.0.90");

    /// <summary>An office workstation: browsing in working hours, DNS, NTP, SMB to its file server, a nightly backup.</summary>
    public static IEnumerable<FlowObservation> Workstation(FlowAddress host, int seed, int hours)
    {
        var rnd = new Random(seed);
        var list = new List<FlowObservation>();
        var sites = Enumerable.Range(0, 300).Select(i => FlowAddress.FromV4(0x5D_B8_00_00u + (uint)(i * 7919 % 65_000))).ToArray();
        for (long minute = 0; minute < hours * 60L; minute++)
        {
            long t = T0 + (minute * Minute);
            int hourOfDay = (int)((8 + (minute / 60)) % 24);
            bool office = hourOfDay is >= 8 and < 18;
            if (office && rnd.NextDouble() < 0.6)
            {
                int connections = rnd.Next(1, 15);
                for (int c = 0; c < connections; c++)
                {
                    var site = sites[(int)Math.Min(sites.Length - 1, Math.Abs(rnd.NextDouble() * rnd.NextDouble() * sites.Length))];
                    long start = t + rnd.Next(0, 59_000);
                    ushort sport = (ushort)rnd.Next(32_768, 61_000);
                    Dns(list, host, rnd, start - 20);
                    Conversation(list, host, site, sport, 443, 6, start, rnd.Next(200, 30_000), (ulong)rnd.Next(600, 8_000), (ulong)rnd.Next(4_000, 3_000_000), rnd);
                }
            }

            if (office && rnd.NextDouble() < 0.05)
            {
                // SMB to the file server the workstation always uses.
                Conversation(list, host, FileServer, (ushort)rnd.Next(49_152, 65_000), 445, 6, t + rnd.Next(0, 59_000), rnd.Next(100, 5_000), (ulong)rnd.Next(2_000, 200_000), (ulong)rnd.Next(2_000, 5_000_000), rnd);
            }

            if (minute % 17 == 0)
            {
                // NTP poll (about every 1024 s in real life) to two pool servers.
                Conversation(list, host, Ip("162.159.200.1"), 123, 123, 17, t + 500, 10, 76, 76, rnd);
                Conversation(list, host, Ip("129.6.15.28"), 123, 123, 17, t + 900, 10, 76, 76, rnd);
            }

            if (hourOfDay == 2 && minute % 60 == 0)
            {
                // Nightly backup over SSH to the internal backup server: 30 minutes in 5-minute active-timeout records.
                ushort sport = (ushort)rnd.Next(32_768, 61_000);
                for (int part = 0; part < 6; part++)
                {
                    ushort flags = part == 0 ? (ushort)(Syn | Ack | Psh) : part == 5 ? (ushort)(Ack | Psh | Fin) : (ushort)(Ack | Psh);
                    long start = t + (part * 5 * Minute);
                    list.Add(Out(BackupServer, 22, sport, 6, flags, 40_000, (ulong)rnd.Next(50_000_000, 90_000_000), start, 5 * Minute - 1, host));
                    list.Add(In(BackupServer, sport, 22, 6, flags, 20_000, (ulong)rnd.Next(1_000_000, 2_000_000), start, 5 * Minute - 1, host));
                }
            }

            if (hourOfDay == 3 && minute % 60 == 0)
            {
                // Cloud sync of the day's documents.
                Conversation(list, host, Ip("52.97.10.10"), (ushort)rnd.Next(32_768, 61_000), 443, 6, t + 1_000, rnd.Next(60_000, 300_000), (ulong)rnd.Next(5_000_000, 60_000_000), 200_000, rnd);
            }
        }

        return Sorted(list);
    }

    /// <summary>A busy web server with a daily cycle of clients, a database behind it and a few clients that give up mid-handshake.</summary>
    public static IEnumerable<FlowObservation> WebServer(FlowAddress host, int seed, int hours)
    {
        var rnd = new Random(seed);
        var list = new List<FlowObservation>();
        for (long minute = 0; minute < hours * 60L; minute++)
        {
            long t = T0 + (minute * Minute);
            double hourOfDay = (8 + (minute / 60.0)) % 24;
            double rate = 12 + (40 * Math.Max(0, Math.Sin((hourOfDay - 6) / 24 * 2 * Math.PI)));
            int clients = Poisson(rnd, rate);
            for (int c = 0; c < clients; c++)
            {
                var client = FlowAddress.FromV4((uint)rnd.Next(0x0B00_0000, 0x5F00_0000));
                long start = t + rnd.Next(0, 59_000);
                ushort cport = (ushort)rnd.Next(32_768, 61_000);
                if (rnd.NextDouble() < 0.01)
                {
                    // A client that sent SYN and vanished (mobile networks do this).
                    list.Add(In(client, 443, cport, 6, Syn, 1, 60, start, 0, host));
                    list.Add(Out(client, cport, 443, 6, Syn | Ack, 3, 180, start, 3_000, host));
                    continue;
                }

                Conversation(list, client, host, cport, 443, 6, start, rnd.Next(50, 5_000), (ulong)rnd.Next(500, 3_000), (ulong)rnd.Next(5_000, 800_000), rnd, hostIsServer: true);
                if (rnd.NextDouble() < 0.3)
                {
                    Conversation(list, host, Database, (ushort)rnd.Next(32_768, 61_000), 5432, 6, start + 10, rnd.Next(5, 200), (ulong)rnd.Next(300, 3_000), (ulong)rnd.Next(500, 60_000), rnd);
                }
            }
        }

        return Sorted(list);
    }

    /// <summary>The internal DNS resolver: queries from clients in, recursion to the internet out.</summary>
    public static IEnumerable<FlowObservation> ResolverHost(FlowAddress host, int seed, int hours)
    {
        var rnd = new Random(seed);
        var list = new List<FlowObservation>();
        var upstream = new[] { Ip("8.8.8.8"), Ip("1.1.1.1"), Ip("9.9.9.9") };
        for (long minute = 0; minute < hours * 60L; minute++)
        {
            long t = T0 + (minute * Minute);
            int queries = Poisson(rnd, 30);
            for (int q = 0; q < queries; q++)
            {
                var client = FlowAddress.FromV4(0x0A00_0000u + (uint)rnd.Next(2, 400));
                long start = t + rnd.Next(0, 59_000);
                Conversation(list, client, host, (ushort)rnd.Next(32_768, 61_000), 53, 17, start, 5, 70, (ulong)rnd.Next(90, 400), rnd, hostIsServer: true);
                if (rnd.NextDouble() < 0.4)
                {
                    Conversation(list, host, upstream[rnd.Next(upstream.Length)], (ushort)rnd.Next(32_768, 61_000), 53, 17, start + 1, 20, 75, (ulong)rnd.Next(90, 500), rnd);
                }
            }
        }

        return Sorted(list);
    }

    private static void Dns(List<FlowObservation> list, FlowAddress host, Random rnd, long start) =>
        Conversation(list, host, Resolver, (ushort)rnd.Next(32_768, 61_000), 53, 17, start, 2, (ulong)rnd.Next(60, 90), (ulong)rnd.Next(90, 300), rnd);

    /// <summary>
    /// Adds both directions of a conversation from <paramref name="client"/> to <paramref name="server"/>, as the
    /// monitored host (the client unless <paramref name="hostIsServer"/>) sees them.
    /// </summary>
    private static void Conversation(
        List<FlowObservation> list, FlowAddress client, FlowAddress server, ushort clientPort, ushort serverPort, byte proto,
        long start, long durationMs, ulong requestBytes, ulong responseBytes, Random rnd, bool hostIsServer = false)
    {
        ushort flags = proto == 6 ? Completed : (ushort)0;
        ulong reqPackets = Math.Max(1, requestBytes / 1_000) + (proto == 6 ? 3UL : 0);
        ulong respPackets = Math.Max(1, responseBytes / 1_400) + (proto == 6 ? 3UL : 0);
        if (!hostIsServer)
        {
            list.Add(Out(server, serverPort, clientPort, proto, flags, reqPackets, requestBytes, start, durationMs, client));
            list.Add(In(server, clientPort, serverPort, proto, flags, respPackets, responseBytes, start, durationMs, client));
        }
        else
        {
            list.Add(In(client, serverPort, clientPort, proto, flags, reqPackets, requestBytes, start, durationMs, server));
            list.Add(Out(client, clientPort, serverPort, proto, flags, respPackets, responseBytes, start, durationMs, server));
        }

        _ = rnd;
    }

    private static int Poisson(Random rnd, double lambda)
    {
        double l = Math.Exp(-lambda), p = 1;
        int k = 0;
        do
        {
            k++;
            p *= rnd.NextDouble();
        }
        while (p > l);
        return k - 1;
    }

    private static List<FlowObservation> Sorted(List<FlowObservation> list)
    {
        // Stable by end time: exporters emit records when flows end.
        return list.Select((o, i) => (o, i)).OrderBy(x => x.o.EndMs).ThenBy(x => x.i).Select(x => x.o).ToList();
    }
}
