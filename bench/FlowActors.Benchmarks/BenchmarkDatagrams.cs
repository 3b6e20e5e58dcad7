using System.Buffers.Binary;

namespace FlowActors.Benchmarks;

/// <summary>
/// Realistic export datagrams for the decode benchmarks, laid out as the exporters in tests/testdata send them:
/// a full NetFlow v5 packet (30 records), softflowd's NetFlow v9 IPv4 template (28 records of 45 bytes), pmacct's IPFIX
/// template with absolute millisecond times and 8-byte counters (25 records of 59 bytes), and an sFlow v5 datagram of
/// flow samples carrying 128-byte Ethernet/IPv4/TCP headers and extended switch data — each about one MTU.
/// </summary>
internal static class BenchmarkDatagrams
{
    public const int V5Records = 30;
    public const int V9Records = 28;
    public const int IpfixRecords = 25;
    public const int SFlowSamples = 6;
    public const ushort TemplateId = 1024;

    private const uint UnixSeconds = 1_795_883_405; // 2026-11-28T16:30:05Z
    private const uint SysUpTimeMs = 3_600_000;

    // softflowd template 1024 (IPv4): type/length pairs.
    private static readonly (ushort Type, ushort Length)[] SoftflowdV4 =
    [
        (8, 4), (12, 4), (22, 4), (21, 4), (1, 4), (2, 4), (10, 4), (14, 4), (61, 1), (136, 1), (7, 2), (11, 2), (4, 1), (6, 1), (60, 1), (5, 1),
    ];

    // pmacct template 1024.
    private static readonly (ushort Type, ushort Length)[] PmacctV4 =
    [
        (153, 8), (152, 8), (1, 8), (2, 8), (60, 1), (10, 4), (14, 4), (61, 1), (8, 4), (12, 4), (7, 2), (11, 2), (5, 1), (6, 1), (4, 1),
    ];

    public static byte[] NetFlowV5()
    {
        var d = new byte[24 + V5Records * 48];
        var s = d.AsSpan();
        W16(s, 0, 5);
        W16(s, 2, V5Records);
        W32(s, 4, SysUpTimeMs);
        W32(s, 8, UnixSeconds);
        W32(s, 12, 0);
        W32(s, 16, 1); // flow sequence
        for (int i = 0; i < V5Records; i++)
        {
            var r = s.Slice(24 + i * 48, 48);
            W32(r, 0, 0x0A63_0100u + (uint)i);
            W32(r, 4, 0x0A63_000Au);
            W32(r, 8, 0x0A63_00FEu);
            W16(r, 12, 1);
            W16(r, 14, 2);
            W32(r, 16, 10 + (uint)i);
            W32(r, 20, 5_000 + 40 * (uint)i);
            W32(r, 24, SysUpTimeMs - 20_000);
            W32(r, 28, SysUpTimeMs - 1_000);
            W16(r, 32, (ushort)(40_000 + i));
            W16(r, 34, 443);
            r[37] = 0x1B;
            r[38] = 6;
            r[39] = 0;
            r[44] = 24;
            r[45] = 24;
        }

        return d;
    }

    public static byte[] NetFlowV9Template() => V9(templateOnly: true);

    public static byte[] NetFlowV9Data() => V9(templateOnly: false);

    private static byte[] V9(bool templateOnly)
    {
        var w = new List<byte>();
        Put16(w, 9);
        Put16(w, (ushort)(templateOnly ? 1 : V9Records));
        Put32(w, SysUpTimeMs);
        Put32(w, UnixSeconds);
        Put32(w, 1); // package sequence
        Put32(w, 0); // source id
        if (templateOnly)
        {
            Put16(w, 0);
            Put16(w, (ushort)(4 + 4 + SoftflowdV4.Length * 4));
            Put16(w, TemplateId);
            Put16(w, (ushort)SoftflowdV4.Length);
            foreach (var (t, l) in SoftflowdV4)
            {
                Put16(w, t);
                Put16(w, l);
            }

            return w.ToArray();
        }

        int recordLength = SoftflowdV4.Sum(f => f.Length);
        int setLength = 4 + V9Records * recordLength;
        int padding = (4 - setLength % 4) % 4;
        Put16(w, TemplateId);
        Put16(w, (ushort)(setLength + padding));
        for (int i = 0; i < V9Records; i++)
        {
            Put32(w, 0x0A63_0100u + (uint)i); // 8 src
            Put32(w, 0x0A63_000Au); // 12 dst
            Put32(w, SysUpTimeMs - 20_000); // 22 first switched
            Put32(w, SysUpTimeMs - 1_000); // 21 last switched
            Put32(w, 5_000 + 40 * (uint)i); // 1 bytes
            Put32(w, 10 + (uint)i); // 2 packets
            Put32(w, 0); // 10 input
            Put32(w, 0); // 14 output
            w.Add(0); // 61 direction
            w.Add(2); // 136 end reason
            Put16(w, (ushort)(40_000 + i)); // 7
            Put16(w, 443); // 11
            w.Add(6); // 4 protocol
            w.Add(0x1B); // 6 flags
            w.Add(4); // 60 ip version
            w.Add(0); // 5 tos
        }

        for (int i = 0; i < padding; i++) w.Add(0);
        return w.ToArray();
    }

    public static byte[] IpfixTemplate() => Ipfix(templateOnly: true);

    public static byte[] IpfixData() => Ipfix(templateOnly: false);

    private static byte[] Ipfix(bool templateOnly)
    {
        var w = new List<byte>();
        Put16(w, 10);
        Put16(w, 0); // length, patched below
        Put32(w, UnixSeconds);
        Put32(w, 0); // sequence
        Put32(w, 0); // observation domain
        if (templateOnly)
        {
            Put16(w, 2);
            Put16(w, (ushort)(4 + 4 + PmacctV4.Length * 4));
            Put16(w, TemplateId);
            Put16(w, (ushort)PmacctV4.Length);
            foreach (var (t, l) in PmacctV4)
            {
                Put16(w, t);
                Put16(w, l);
            }
        }
        else
        {
            int recordLength = PmacctV4.Sum(f => f.Length);
            Put16(w, TemplateId);
            Put16(w, (ushort)(4 + IpfixRecords * recordLength));
            ulong end = UnixSeconds * 1000UL - 1_000;
            for (int i = 0; i < IpfixRecords; i++)
            {
                Put64(w, end); // 153 flowEndMilliseconds
                Put64(w, end - 19_000); // 152 flowStartMilliseconds
                Put64(w, 5_000 + 40 * (ulong)i); // 1 octets
                Put64(w, 10 + (ulong)i); // 2 packets
                w.Add(4); // 60
                Put32(w, 0); // 10
                Put32(w, 0); // 14
                w.Add(0); // 61
                Put32(w, 0x0A63_0100u + (uint)i); // 8
                Put32(w, 0x0A63_000Au); // 12
                Put16(w, (ushort)(40_000 + i)); // 7
                Put16(w, 443); // 11
                w.Add(0); // 5 tos
                w.Add(0x1B); // 6 flags
                w.Add(6); // 4 protocol
            }
        }

        var d = w.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(2), (ushort)d.Length);
        return d;
    }

    public static byte[] SFlow()
    {
        var w = new List<byte>();
        Put32(w, 5);
        Put32(w, 1);
        Put32(w, 0xC000_0201); // agent 192.0.2.1
        Put32(w, 0); // sub-agent
        Put32(w, 1); // sequence
        Put32(w, SysUpTimeMs);
        Put32(w, SFlowSamples);
        for (int i = 0; i < SFlowSamples; i++)
        {
            var header = EthernetIPv4Tcp(i, 128);
            var sample = new List<byte>();
            Put32(sample, (uint)i + 1); // sample sequence
            Put32(sample, 3); // source id: ifIndex 3
            Put32(sample, 2048); // sampling rate
            Put32(sample, 2048 * 1000);
            Put32(sample, 0); // drops
            Put32(sample, 3); // input
            Put32(sample, 7); // output
            Put32(sample, 2); // records
            Put32(sample, 1); // sampled_header
            Put32(sample, (uint)(16 + header.Length));
            Put32(sample, 1); // Ethernet
            Put32(sample, 1518); // frame length
            Put32(sample, 4); // stripped (FCS)
            Put32(sample, (uint)header.Length);
            sample.AddRange(header);
            Put32(sample, 1001); // extended_switch
            Put32(sample, 16);
            Put32(sample, 20);
            Put32(sample, 0);
            Put32(sample, 20);
            Put32(sample, 0);
            Put32(w, 1); // flow_sample
            Put32(w, (uint)sample.Count);
            w.AddRange(sample);
        }

        return w.ToArray();
    }

    private static byte[] EthernetIPv4Tcp(int i, int length)
    {
        var h = new byte[length];
        var s = h.AsSpan();
        s[0] = 2;
        s[6] = 2;
        s[11] = 1;
        W16(s, 12, 0x8100);
        W16(s, 14, 20); // VLAN 20
        W16(s, 16, 0x0800);
        var ip = s.Slice(18);
        ip[0] = 0x45;
        W16(ip, 2, 1500);
        ip[8] = 64;
        ip[9] = 6;
        W32(ip, 12, 0x0A63_0100u + (uint)i);
        W32(ip, 16, 0x0A63_000Au);
        var tcp = ip.Slice(20);
        W16(tcp, 0, (ushort)(40_000 + i));
        W16(tcp, 2, 443);
        tcp[12] = 0x50;
        tcp[13] = 0x18;
        return h;
    }

    private static void W16(Span<byte> s, int at, ushort v) => BinaryPrimitives.WriteUInt16BigEndian(s.Slice(at), v);

    private static void W32(Span<byte> s, int at, uint v) => BinaryPrimitives.WriteUInt32BigEndian(s.Slice(at), v);

    private static void Put16(List<byte> w, ushort v)
    {
        w.Add((byte)(v >> 8));
        w.Add((byte)v);
    }

    private static void Put32(List<byte> w, uint v)
    {
        Put16(w, (ushort)(v >> 16));
        Put16(w, (ushort)v);
    }

    private static void Put64(List<byte> w, ulong v)
    {
        Put32(w, (uint)(v >> 32));
        Put32(w, (uint)v);
    }
}
