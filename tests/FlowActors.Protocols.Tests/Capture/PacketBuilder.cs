using System.Buffers.Binary;
using System.Net;

namespace FlowActors.Protocols.Tests.Capture;

/// <summary>Builds link, network and transport headers for test packets (checksums left zero: nothing here checks them).</summary>
internal static class PacketBuilder
{
    public static readonly byte[] DstMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
    public static readonly byte[] SrcMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

    /// <summary>Ethernet II frame; each tag is (TPID, VLAN id), outermost first.</summary>
    public static byte[] Ethernet(ushort etherType, byte[] payload, params (ushort Tpid, ushort Vid)[] tags)
    {
        var frame = new List<byte>();
        frame.AddRange(DstMac);
        frame.AddRange(SrcMac);
        foreach (var (tpid, vid) in tags)
        {
            frame.AddRange(U16(tpid));
            frame.AddRange(U16((ushort)(0x2000 | vid))); // priority 1
        }

        frame.AddRange(U16(etherType));
        frame.AddRange(payload);
        return frame.ToArray();
    }

    /// <summary>IPv4 header (20 bytes, no options) + payload. <paramref name="totalLength"/> overrides the length field.</summary>
    public static byte[] IPv4(string src, string dst, byte protocol, byte[] payload, byte tos = 0, ushort fragmentOffsetUnits = 0,
        bool moreFragments = false, int? totalLength = null)
    {
        var h = new byte[20];
        h[0] = 0x45;
        h[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), (ushort)(totalLength ?? 20 + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(6), (ushort)((moreFragments ? 0x2000 : 0) | fragmentOffsetUnits));
        h[8] = 64;
        h[9] = protocol;
        IPAddress.Parse(src).GetAddressBytes().CopyTo(h, 12);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(h, 16);
        return [.. h, .. payload];
    }

    /// <summary>IPv6 header + payload; <paramref name="nextHeader"/> names the first header in <paramref name="payload"/>.</summary>
    public static byte[] IPv6(string src, string dst, byte nextHeader, byte[] payload, byte trafficClass = 0, int? payloadLength = null)
    {
        var h = new byte[40];
        h[0] = (byte)(0x60 | (trafficClass >> 4));
        h[1] = (byte)(trafficClass << 4);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), (ushort)(payloadLength ?? payload.Length));
        h[6] = nextHeader;
        h[7] = 64;
        IPAddress.Parse(src).GetAddressBytes().CopyTo(h, 8);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(h, 24);
        return [.. h, .. payload];
    }

    /// <summary>An IPv6 extension header in the common (next header, length in 8-byte units - 1) form, 8 bytes long.</summary>
    public static byte[] IPv6Extension(byte nextHeader, byte[] payload) => [nextHeader, 0, 0, 0, 0, 0, 0, 0, .. payload];

    /// <summary>IPv6 fragment header.</summary>
    public static byte[] IPv6Fragment(byte nextHeader, ushort offsetUnits, bool more, byte[] payload)
    {
        var h = new byte[8];
        h[0] = nextHeader;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), (ushort)((offsetUnits << 3) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), 0xABCD);
        return [.. h, .. payload];
    }

    public static byte[] Tcp(ushort srcPort, ushort dstPort, byte flags, int payloadLength = 0)
    {
        var h = new byte[20 + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(h, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), dstPort);
        h[12] = 0x50;
        h[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(14), 65535);
        return h;
    }

    public static byte[] Udp(ushort srcPort, ushort dstPort, byte[] payload)
    {
        var h = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(h, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), (ushort)(8 + payload.Length));
        return [.. h, .. payload];
    }

    public static byte[] Icmp(byte type, byte code) => [type, code, 0, 0, 0, 1, 0, 1];

    private static byte[] U16(ushort v) => [(byte)(v >> 8), (byte)v];
}
