using System.Buffers.Binary;

namespace FlowActors.Protocols.Tests.Capture;

/// <summary>Writes pcap (tcpdump.org/manpages/pcap-savefile) and pcapng (RFC draft-ietf-opsawg-pcapng) files in memory.</summary>
internal sealed class CaptureFileBuilder
{
    private readonly MemoryStream _stream = new();
    private readonly bool _bigEndian;

    private CaptureFileBuilder(bool bigEndian) => _bigEndian = bigEndian;

    /// <summary>Classic pcap: magic 0xA1B2C3D4 (µs) or 0xA1B23C4D (ns), written in the chosen byte order.</summary>
    public static CaptureFileBuilder Pcap(uint linkType, bool nanoseconds = false, bool bigEndian = false)
    {
        var b = new CaptureFileBuilder(bigEndian);
        b.U32(nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4);
        b.U16(2);
        b.U16(4);
        b.U32(0); // thiszone
        b.U32(0); // sigfigs
        b.U32(262_144); // snaplen
        b.U32(linkType);
        return b;
    }

    /// <summary>pcapng: a Section Header Block; add interfaces with <see cref="Interface"/>.</summary>
    public static CaptureFileBuilder Pcapng(bool bigEndian = false)
    {
        var b = new CaptureFileBuilder(bigEndian);
        b.U32(0x0A0D0D0A);
        b.U32(28);
        b.U32(0x1A2B3C4D);
        b.U16(1);
        b.U16(0);
        b.U64(ulong.MaxValue); // section length unknown
        b.U32(28);
        return b;
    }

    /// <summary>Adds a pcap record. <paramref name="fraction"/> is µs or ns per the file's magic.</summary>
    public CaptureFileBuilder Record(uint seconds, uint fraction, byte[] frame)
    {
        U32(seconds);
        U32(fraction);
        U32((uint)frame.Length);
        U32((uint)frame.Length);
        _stream.Write(frame);
        return this;
    }

    /// <summary>pcapng Interface Description Block, optionally with if_tsresol (option 9).</summary>
    public CaptureFileBuilder Interface(ushort linkType, byte? tsresol = null)
    {
        int optionsLength = tsresol is null ? 0 : 8 + 4; // option (4 + 1 padded to 8) + opt_endofopt
        uint total = (uint)(20 + optionsLength);
        U32(1);
        U32(total);
        U16(linkType);
        U16(0);
        U32(0); // snaplen
        if (tsresol is { } r)
        {
            U16(9);
            U16(1);
            _stream.Write([r, 0, 0, 0]);
            U16(0);
            U16(0);
        }

        U32(total);
        return this;
    }

    /// <summary>pcapng Enhanced Packet Block with a 64-bit timestamp in the interface's units.</summary>
    public CaptureFileBuilder EnhancedPacket(uint interfaceId, ulong timestamp, byte[] frame)
    {
        int padded = (frame.Length + 3) & ~3;
        uint total = (uint)(32 + padded);
        U32(6);
        U32(total);
        U32(interfaceId);
        U32((uint)(timestamp >> 32));
        U32((uint)timestamp);
        U32((uint)frame.Length);
        U32((uint)frame.Length);
        _stream.Write(frame);
        _stream.Write(new byte[padded - frame.Length]);
        U32(total);
        return this;
    }

    /// <summary>pcapng Simple Packet Block (no timestamp, interface 0).</summary>
    public CaptureFileBuilder SimplePacket(byte[] frame)
    {
        int padded = (frame.Length + 3) & ~3;
        uint total = (uint)(16 + padded);
        U32(3);
        U32(total);
        U32((uint)frame.Length);
        _stream.Write(frame);
        _stream.Write(new byte[padded - frame.Length]);
        U32(total);
        return this;
    }

    /// <summary>A block of a type readers must skip (here a Name Resolution Block with no records).</summary>
    public CaptureFileBuilder NameResolutionBlock()
    {
        U32(4);
        U32(16);
        U32(0); // nrb_record_end
        U32(16);
        return this;
    }

    public byte[] ToArray() => _stream.ToArray();

    private void U16(ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        if (_bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v);
        else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        _stream.Write(b);
    }

    private void U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        if (_bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v);
        else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _stream.Write(b);
    }

    private void U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        if (_bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, v);
        else BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        _stream.Write(b);
    }
}
