using System.Buffers.Binary;
using System.Net;

namespace FlowActors.Cluster.Tests;

/// <summary>Builds NetFlow datagrams byte by byte from the specifications, for sending over loopback.</summary>
internal static class FlowDatagrams
{
    public const uint UnixSecs = 1_764_331_200; // 2025-11-28T12:00:00Z
    public const uint SysUptimeMs = 100_000;

    public readonly record struct Flow(string Src, string Dst, ushort SrcPort, ushort DstPort, byte Protocol, byte TcpFlags, uint Packets, uint Bytes);

    /// <summary>NetFlow v5: 24-byte header, 48-byte records (Cisco NetFlow v5 export format).</summary>
    public static byte[] V5(IReadOnlyList<Flow> flows, uint sequence = 0)
    {
        var d = new byte[24 + 48 * flows.Count];
        var s = d.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(s, 5);
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], (ushort)flows.Count);
        BinaryPrimitives.WriteUInt32BigEndian(s[4..], SysUptimeMs);
        BinaryPrimitives.WriteUInt32BigEndian(s[8..], UnixSecs);
        BinaryPrimitives.WriteUInt32BigEndian(s[16..], sequence);
        for (int i = 0; i < flows.Count; i++)
        {
            var r = s.Slice(24 + 48 * i, 48);
            var f = flows[i];
            Ip(f.Src).CopyTo(r);
            Ip(f.Dst).CopyTo(r[4..]);
            BinaryPrimitives.WriteUInt32BigEndian(r[16..], f.Packets);
            BinaryPrimitives.WriteUInt32BigEndian(r[20..], f.Bytes);
            BinaryPrimitives.WriteUInt32BigEndian(r[24..], SysUptimeMs - 2000); // First
            BinaryPrimitives.WriteUInt32BigEndian(r[28..], SysUptimeMs - 1000); // Last
            BinaryPrimitives.WriteUInt16BigEndian(r[32..], f.SrcPort);
            BinaryPrimitives.WriteUInt16BigEndian(r[34..], f.DstPort);
            r[37] = f.TcpFlags;
            r[38] = f.Protocol;
        }
        return d;
    }

    // RFC 3954 §8 field types: IPV4_SRC_ADDR 8, IPV4_DST_ADDR 12, L4_SRC_PORT 7, L4_DST_PORT 11, PROTOCOL 4,
    // TCP_FLAGS 6, IN_PKTS 2, IN_BYTES 1, FIRST_SWITCHED 22, LAST_SWITCHED 21.
    private static readonly (ushort Type, ushort Length)[] V9Fields =
        [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (2, 4), (1, 4), (22, 4), (21, 4)];

    private const int V9RecordLength = 30;

    /// <summary>NetFlow v9 (RFC 3954): header, optionally template flowset 256, optionally a data flowset.</summary>
    public static byte[] V9(bool withTemplate, IReadOnlyList<Flow> flows, uint sequence, uint sourceId = 1)
    {
        var body = new List<byte[]>();
        int count = 0;
        if (withTemplate)
        {
            var t = new byte[4 + 4 + 4 * V9Fields.Length];
            BinaryPrimitives.WriteUInt16BigEndian(t, 0);
            BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(2), (ushort)t.Length);
            BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(4), 256);
            BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(6), (ushort)V9Fields.Length);
            for (int i = 0; i < V9Fields.Length; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(8 + 4 * i), V9Fields[i].Type);
                BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(10 + 4 * i), V9Fields[i].Length);
            }
            body.Add(t);
            count++;
        }
        if (flows.Count > 0)
        {
            int len = 4 + V9RecordLength * flows.Count;
            len += (4 - len % 4) % 4; // padding to a 32-bit boundary (RFC 3954 §5.3)
            var ds = new byte[len];
            BinaryPrimitives.WriteUInt16BigEndian(ds, 256);
            BinaryPrimitives.WriteUInt16BigEndian(ds.AsSpan(2), (ushort)len);
            for (int i = 0; i < flows.Count; i++)
            {
                var r = ds.AsSpan(4 + V9RecordLength * i, V9RecordLength);
                var f = flows[i];
                Ip(f.Src).CopyTo(r);
                Ip(f.Dst).CopyTo(r[4..]);
                BinaryPrimitives.WriteUInt16BigEndian(r[8..], f.SrcPort);
                BinaryPrimitives.WriteUInt16BigEndian(r[10..], f.DstPort);
                r[12] = f.Protocol;
                r[13] = f.TcpFlags;
                BinaryPrimitives.WriteUInt32BigEndian(r[14..], f.Packets);
                BinaryPrimitives.WriteUInt32BigEndian(r[18..], f.Bytes);
                BinaryPrimitives.WriteUInt32BigEndian(r[22..], SysUptimeMs - 2000);
                BinaryPrimitives.WriteUInt32BigEndian(r[26..], SysUptimeMs - 1000);
            }
            body.Add(ds);
            count += flows.Count;
        }
        var d = new byte[20 + body.Sum(b => b.Length)];
        BinaryPrimitives.WriteUInt16BigEndian(d, 9);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(2), (ushort)count);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), SysUptimeMs);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(8), UnixSecs);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(12), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(16), sourceId);
        int at = 20;
        foreach (var b in body)
        {
            b.CopyTo(d, at);
            at += b.Length;
        }
        return d;
    }

    private static byte[] Ip(string text) => IPAddress.Parse(text).GetAddressBytes();
}
