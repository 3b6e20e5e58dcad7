using System.Buffers.Binary;

namespace FlowActors.Protocols.Capture;

/// <summary>One UDP datagram found in a capture file.</summary>
/// <param name="TimestampUs">Capture time, UTC microseconds since the Unix epoch.</param>
/// <param name="Source">IP source of the datagram (the exporter).</param>
/// <param name="SourcePort">UDP source port.</param>
/// <param name="Destination">IP destination (the collector).</param>
/// <param name="DestinationPort">UDP destination port.</param>
/// <param name="Payload">UDP payload; valid only until the reader's next call.</param>
public readonly record struct CapturedDatagram(
    long TimestampUs,
    FlowAddress Source,
    ushort SourcePort,
    FlowAddress Destination,
    ushort DestinationPort,
    ReadOnlyMemory<byte> Payload);

/// <summary>Counters of what a capture held besides UDP datagrams.</summary>
public sealed class CaptureStats
{
    /// <summary>Packets (frames) read.</summary>
    public long Packets { get; internal set; }
    /// <summary>UDP datagrams returned.</summary>
    public long Datagrams { get; internal set; }
    /// <summary>Frames that were not IPv4/IPv6 UDP (ARP, TCP, ICMP, ...).</summary>
    public long NotUdp { get; internal set; }
    /// <summary>IP fragments (not reassembled).</summary>
    public long Fragments { get; internal set; }
    /// <summary>Frames cut short by the snap length or malformed.</summary>
    public long Malformed { get; internal set; }
    /// <summary>Frames on a link type this reader does not know.</summary>
    public long UnknownLinkType { get; internal set; }
}

/// <summary>
/// Reads UDP datagrams out of pcap (microsecond and nanosecond, either byte order) and pcapng captures.
/// Link types: Ethernet (with 802.1Q/QinQ tags), Linux cooked v1/v2, raw IP, BSD loopback.
/// </summary>
/// <remarks>
/// Capture files are untrusted input: every length is checked against what is left and against
/// <see cref="MaxFrameLength"/>, so a corrupt file ends the read with <see cref="Error"/> set instead of
/// allocating without bound. Payloads point into one reused buffer.
/// </remarks>
public sealed class PcapReader : IDisposable
{
    /// <summary>Largest frame accepted (bigger lengths mean a corrupt file).</summary>
    public const int MaxFrameLength = 256 * 1024;

    private const uint PcapMagicMicro = 0xA1B2C3D4;
    private const uint PcapMagicNano = 0xA1B23C4D;
    private const uint PcapngSectionHeader = 0x0A0D0D0A;
    private const uint PcapngByteOrderMagic = 0x1A2B3C4D;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _header = new byte[32];
    private byte[] _buffer = new byte[65_536];
    private readonly List<(ushort LinkType, long TicksPerSecond)> _interfaces = new();
    private bool _isPcapng;
    private bool _bigEndian;
    private bool _nano;
    private ushort _pcapLinkType;
    private bool _started;

    /// <summary>Opens a reader on a stream positioned at the start of a capture.</summary>
    public PcapReader(Stream stream, bool leaveOpen = false)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _leaveOpen = leaveOpen;
    }

    /// <summary>Opens a capture file.</summary>
    public static PcapReader Open(string path) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16));

    /// <summary>Counters.</summary>
    public CaptureStats Stats { get; } = new();

    /// <summary>Why reading stopped early (null when the file ended cleanly).</summary>
    public string? Error { get; private set; }

    /// <summary>Only datagrams to this UDP port are returned when set.</summary>
    public ushort? PortFilter { get; init; }

    /// <summary>Reads the next UDP datagram. Returns false at the end of the file or on a format error (see <see cref="Error"/>).</summary>
    public bool TryReadNext(out CapturedDatagram datagram)
    {
        datagram = default;
        if (Error is not null) return false;
        if (!_started)
        {
            _started = true;
            if (!ReadFileHeader()) return false;
        }

        while (true)
        {
            if (!ReadFrame(out long tsUs, out ushort linkType, out int length))
            {
                return false;
            }

            Stats.Packets++;
            if (TryExtractUdp(_buffer.AsSpan(0, length), linkType, out var src, out var srcPort, out var dst, out var dstPort, out int offset, out int payloadLength))
            {
                if (PortFilter is { } port && dstPort != port)
                {
                    continue;
                }

                Stats.Datagrams++;
                datagram = new CapturedDatagram(tsUs, src, srcPort, dst, dstPort, new ReadOnlyMemory<byte>(_buffer, offset, payloadLength));
                return true;
            }
        }
    }

    /// <summary>Enumerates every UDP datagram (each payload is valid only during its iteration step).</summary>
    public IEnumerable<CapturedDatagram> ReadAll()
    {
        while (TryReadNext(out var d))
        {
            yield return d;
        }
    }

    private bool ReadFileHeader()
    {
        if (!ReadExactly(_header.AsSpan(0, 4)))
        {
            return Fail("file is empty or shorter than a capture header");
        }

        uint magicLe = BinaryPrimitives.ReadUInt32LittleEndian(_header);
        uint magicBe = BinaryPrimitives.ReadUInt32BigEndian(_header);
        if (magicLe == PcapngSectionHeader)
        {
            _isPcapng = true;
            return ReadPcapngSectionHeaderRest();
        }

        if (magicLe is PcapMagicMicro or PcapMagicNano)
        {
            _bigEndian = false;
            _nano = magicLe == PcapMagicNano;
        }
        else if (magicBe is PcapMagicMicro or PcapMagicNano)
        {
            _bigEndian = true;
            _nano = magicBe == PcapMagicNano;
        }
        else
        {
            return Fail($"not a pcap or pcapng file (magic 0x{magicBe:X8})");
        }

        if (!ReadExactly(_header.AsSpan(4, 20)))
        {
            return Fail("pcap global header truncated");
        }

        _pcapLinkType = (ushort)(U32(_header.AsSpan(20)) & 0xFFFF);
        return true;
    }

    private bool ReadPcapngSectionHeaderRest()
    {
        // Block type already read; read total length and byte-order magic.
        if (!ReadExactly(_header.AsSpan(4, 8)))
        {
            return Fail("pcapng section header truncated");
        }

        uint bom = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(8));
        if (bom == PcapngByteOrderMagic) _bigEndian = false;
        else if (BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(8)) == PcapngByteOrderMagic) _bigEndian = true;
        else return Fail("pcapng byte-order magic missing");

        uint total = U32(_header.AsSpan(4));
        if (total < 28 || total % 4 != 0 || total > MaxFrameLength)
        {
            return Fail($"pcapng section header length {total} is invalid");
        }

        _interfaces.Clear();
        return Skip(total - 12);
    }

    private bool ReadFrame(out long tsUs, out ushort linkType, out int length)
    {
        tsUs = 0;
        linkType = 0;
        length = 0;
        return _isPcapng ? ReadPcapngFrame(out tsUs, out linkType, out length) : ReadPcapFrame(out tsUs, out linkType, out length);
    }

    private bool ReadPcapFrame(out long tsUs, out ushort linkType, out int length)
    {
        tsUs = 0;
        linkType = _pcapLinkType;
        length = 0;
        int got = ReadUpTo(_header.AsSpan(0, 16));
        if (got == 0) return false;
        if (got < 16) return Fail("pcap record header truncated");

        uint sec = U32(_header);
        uint frac = U32(_header.AsSpan(4));
        uint incl = U32(_header.AsSpan(8));
        if (incl > MaxFrameLength)
        {
            return Fail($"pcap record length {incl} exceeds {MaxFrameLength}");
        }

        tsUs = sec * 1_000_000L + (_nano ? frac / 1000 : frac);
        length = (int)incl;
        EnsureBuffer(length);
        if (!ReadExactly(_buffer.AsSpan(0, length)))
        {
            return Fail("pcap record body truncated");
        }

        return true;
    }

    private bool ReadPcapngFrame(out long tsUs, out ushort linkType, out int length)
    {
        tsUs = 0;
        linkType = 0;
        length = 0;
        while (true)
        {
            int got = ReadUpTo(_header.AsSpan(0, 8));
            if (got == 0) return false;
            if (got < 8) return Fail("pcapng block header truncated");

            uint type = U32(_header);
            if (type == PcapngSectionHeader)
            {
                // New section: byte order may change.
                if (!ReadExactly(_header.AsSpan(8, 4))) return Fail("pcapng section header truncated");
                uint bomLe = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(8));
                _bigEndian = bomLe != PcapngByteOrderMagic;
                uint sectionTotal = U32(_header.AsSpan(4));
                if (sectionTotal < 28 || sectionTotal % 4 != 0 || sectionTotal > MaxFrameLength) return Fail("pcapng section header length invalid");
                _interfaces.Clear();
                if (!Skip(sectionTotal - 12)) return false;
                continue;
            }

            uint total = U32(_header.AsSpan(4));
            if (total < 12 || total % 4 != 0 || total > MaxFrameLength)
            {
                return Fail($"pcapng block length {total} is invalid");
            }

            int bodyLength = (int)total - 8;
            EnsureBuffer(bodyLength);
            if (!ReadExactly(_buffer.AsSpan(0, bodyLength)))
            {
                return Fail("pcapng block truncated");
            }

            var body = _buffer.AsSpan(0, bodyLength - 4); // trailing total length
            switch (type)
            {
                case 1: // Interface Description Block
                    if (body.Length < 8) return Fail("pcapng interface block too short");
                    _interfaces.Add((U16(body), ParseTsResol(body[8..])));
                    break;
                case 6: // Enhanced Packet Block
                {
                    if (body.Length < 20) return Fail("pcapng enhanced packet block too short");
                    uint iface = U32(body);
                    ulong ts = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
                    uint captured = U32(body[12..]);
                    if (captured > body.Length - 20 || iface >= _interfaces.Count)
                    {
                        Stats.Malformed++;
                        continue;
                    }

                    var (lt, tps) = _interfaces[(int)iface];
                    linkType = lt;
                    tsUs = ToMicros(ts, tps);
                    // Move the packet to the start of the buffer so payload offsets are simple.
                    _buffer.AsSpan(20, (int)captured).CopyTo(_buffer);
                    length = (int)captured;
                    return true;
                }
                case 3: // Simple Packet Block: no timestamp, interface 0
                {
                    if (body.Length < 4 || _interfaces.Count == 0)
                    {
                        Stats.Malformed++;
                        continue;
                    }

                    int captured = Math.Min(body.Length - 4, (int)U32(body));
                    linkType = _interfaces[0].LinkType;
                    _buffer.AsSpan(4, captured).CopyTo(_buffer);
                    length = captured;
                    return true;
                }
                default:
                    continue; // name resolution, statistics, custom blocks
            }
        }
    }

    private long ParseTsResol(ReadOnlySpan<byte> options)
    {
        // Default resolution is microseconds; option 9 (if_tsresol) overrides it.
        while (options.Length >= 4)
        {
            ushort code = U16(options);
            ushort len = U16(options[2..]);
            if (code == 0) break;
            int padded = (len + 3) & ~3;
            if (4 + len > options.Length) break;
            if (code == 9 && len >= 1)
            {
                byte v = options[4];
                int exp = v & 0x7F;
                if ((v & 0x80) == 0)
                {
                    return exp <= 18 ? (long)Math.Pow(10, exp) : 1_000_000;
                }

                return exp <= 62 ? 1L << exp : 1_000_000;
            }

            if (4 + padded > options.Length) break;
            options = options[(4 + padded)..];
        }

        return 1_000_000;
    }

    private static long ToMicros(ulong ticks, long ticksPerSecond)
    {
        if (ticksPerSecond == 1_000_000) return (long)ticks;
        // 128-bit intermediate: resolutions need not divide a million (if_tsresol 2^-10 is 1024 ticks a second).
        return (long)((UInt128)ticks * 1_000_000u / (ulong)Math.Max(1, ticksPerSecond));
    }

    /// <summary>Finds the UDP payload inside a link-layer frame.</summary>
    internal bool TryExtractUdp(ReadOnlySpan<byte> frame, ushort linkType, out FlowAddress src, out ushort srcPort,
        out FlowAddress dst, out ushort dstPort, out int payloadOffset, out int payloadLength)
    {
        src = dst = default;
        srcPort = dstPort = 0;
        payloadOffset = payloadLength = 0;
        int offset;
        ushort etherType;
        switch (linkType)
        {
            case 1: // Ethernet
                if (frame.Length < 14) return Malformed();
                offset = 12;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
                offset += 2;
                while (etherType is 0x8100 or 0x88A8 or 0x9100)
                {
                    if (frame.Length < offset + 4) return Malformed();
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
                    offset += 4;
                }

                break;
            case 113: // Linux cooked capture v1
                if (frame.Length < 16) return Malformed();
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]);
                offset = 16;
                break;
            case 276: // Linux cooked capture v2
                if (frame.Length < 20) return Malformed();
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame);
                offset = 20;
                break;
            case 0: // BSD loopback: 4-byte address family in host order of the capturing machine
            case 109:
                if (frame.Length < 5) return Malformed();
                offset = 4;
                etherType = (frame[4] >> 4) == 6 ? (ushort)0x86DD : (ushort)0x0800;
                break;
            case 12: // raw IP (OpenBSD numbering differs, but both carry IP with no header)
            case 14:
            case 101:
                if (frame.Length < 1) return Malformed();
                offset = 0;
                etherType = (frame[0] >> 4) == 6 ? (ushort)0x86DD : (ushort)0x0800;
                break;
            case 228: // raw IPv4
                offset = 0;
                etherType = 0x0800;
                break;
            case 229: // raw IPv6
                offset = 0;
                etherType = 0x86DD;
                break;
            default:
                Stats.UnknownLinkType++;
                return false;
        }

        var ip = frame[offset..];
        int l4Offset;
        int l4Length;
        if (etherType == 0x0800)
        {
            if (ip.Length < 20 || (ip[0] >> 4) != 4) return Malformed();
            int ihl = (ip[0] & 0x0F) * 4;
            int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
            if (ihl < 20 || ip.Length < ihl) return Malformed();
            if (ip[9] != 17)
            {
                Stats.NotUdp++;
                return false;
            }

            ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
            if ((fragment & 0x3FFF) != 0)
            {
                Stats.Fragments++;
                return false;
            }

            src = FlowAddress.FromV4(ip[12..]);
            dst = FlowAddress.FromV4(ip[16..]);
            l4Offset = offset + ihl;
            // TSO captures write 0 as total length; fall back to what was captured.
            l4Length = (totalLength >= ihl ? Math.Min(totalLength, ip.Length) : ip.Length) - ihl;
        }
        else if (etherType == 0x86DD)
        {
            if (ip.Length < 40 || (ip[0] >> 4) != 6) return Malformed();
            src = FlowAddress.FromV6(ip[8..]);
            dst = FlowAddress.FromV6(ip[24..]);
            byte next = ip[6];
            int pos = 40;
            int payloadLen = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            int end = payloadLen == 0 ? ip.Length : Math.Min(ip.Length, 40 + payloadLen);
            // Walk extension headers (hop-by-hop, routing, destination options); a fragment header means a fragment.
            for (int hops = 0; hops < 8 && next is 0 or 43 or 60 or 44; hops++)
            {
                if (next == 44)
                {
                    Stats.Fragments++;
                    return false;
                }

                if (end < pos + 8) return Malformed();
                next = ip[pos];
                pos += (ip[pos + 1] + 1) * 8;
            }

            if (next != 17)
            {
                Stats.NotUdp++;
                return false;
            }

            l4Offset = offset + pos;
            l4Length = end - pos;
        }
        else
        {
            Stats.NotUdp++;
            return false;
        }

        if (l4Length < 8) return Malformed();
        var udp = frame.Slice(l4Offset, l4Length);
        srcPort = BinaryPrimitives.ReadUInt16BigEndian(udp);
        dstPort = BinaryPrimitives.ReadUInt16BigEndian(udp[2..]);
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        payloadOffset = l4Offset + 8;
        payloadLength = (udpLength >= 8 ? Math.Min(udpLength, l4Length) : l4Length) - 8;
        return true;
    }

    private bool Malformed()
    {
        Stats.Malformed++;
        return false;
    }

    private void EnsureBuffer(int length)
    {
        if (_buffer.Length < length)
        {
            _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        }
    }

    private uint U32(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    private ushort U16(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    private bool Fail(string message)
    {
        Error = message;
        return false;
    }

    private bool ReadExactly(Span<byte> destination) => ReadUpTo(destination) == destination.Length;

    private int ReadUpTo(Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = _stream.Read(destination[total..]);
            if (n == 0) break;
            total += n;
        }

        return total;
    }

    private bool Skip(long count)
    {
        Span<byte> scratch = stackalloc byte[512];
        while (count > 0)
        {
            int n = ReadUpTo(scratch[..(int)Math.Min(count, scratch.Length)]);
            if (n == 0) return Fail("capture truncated");
            count -= n;
        }

        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
