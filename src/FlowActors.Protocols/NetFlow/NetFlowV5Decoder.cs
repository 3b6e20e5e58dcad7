using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FlowActors.Protocols.NetFlow;

/// <summary>
/// NetFlow v5: a 24-byte header and up to 30 fixed 48-byte records (Cisco's NetFlow export datagram format).
/// </summary>
/// <remarks>
/// The header's sampling field holds a 2-bit mode and a 14-bit interval. The sequence number counts flows, and
/// engine type/id tell apart several exporting engines of one box (they form the sequence stream's domain).
/// ICMP type and code travel in the destination port (type × 256 + code), as on every Cisco device.
/// </remarks>
internal sealed class NetFlowV5Decoder(SamplingPolicy sampling, SequenceTracker sequences)
{
    public const int HeaderLength = 24;
    public const int RecordLength = 48;
    private const ushort Version = 5;

    private const FlowFields V5Fields = FlowFields.Ports | FlowFields.TcpFlags | FlowFields.Times | FlowFields.InputInterface |
        FlowFields.OutputInterface | FlowFields.AsNumbers | FlowFields.NextHop | FlowFields.Tos | FlowFields.Masks;

    public DecodeResult Decode(ReadOnlySpan<byte> datagram, FlowAddress exporter, long receivedAtUnixMs, FlowRecordBuffer output)
    {
        if (datagram.Length < HeaderLength) return new DecodeResult(DecodeError.TooShort, Version, 0);

        int count = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(2));
        uint sysUpTime = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(4));
        uint unixSecs = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(8));
        uint unixNsecs = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(12));
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(16));
        uint domain = (uint)(datagram[20] << 8 | datagram[21]);
        uint interval = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(22)) & 0x3FFFu;

        if (count == 0) return new DecodeResult(DecodeError.BadLength, Version, 0);

        var error = DecodeError.None;
        int announced = count;
        int fit = (datagram.Length - HeaderLength) / RecordLength;
        if (count > fit)
        {
            error = DecodeError.Truncated;
            count = fit;
        }

        long exportMs = unixSecs * 1000L + unixNsecs / 1_000_000;
        uint rate = sampling.Resolve(exporter, interval);
        int decoded = 0;
        var records = datagram.Slice(HeaderLength);
        for (int i = 0; i < count; i++)
        {
            ref FlowRecord r = ref output.Append();
            if (Unsafe.IsNullRef(ref r))
            {
                error = error == DecodeError.None ? DecodeError.OutputFull : error;
                break;
            }

            var rec = records.Slice(i * RecordLength, RecordLength);
            r.Exporter = exporter;
            r.Version = Version;
            r.ObservationDomain = domain;
            r.SamplingRate = rate;
            r.SrcAddr = FlowAddress.FromV4(rec);
            r.DstAddr = FlowAddress.FromV4(rec.Slice(4));
            r.NextHop = FlowAddress.FromV4(rec.Slice(8));
            r.InputInterface = BinaryPrimitives.ReadUInt16BigEndian(rec.Slice(12));
            r.OutputInterface = BinaryPrimitives.ReadUInt16BigEndian(rec.Slice(14));
            r.Packets = BinaryPrimitives.ReadUInt32BigEndian(rec.Slice(16));
            r.Bytes = BinaryPrimitives.ReadUInt32BigEndian(rec.Slice(20));
            uint first = BinaryPrimitives.ReadUInt32BigEndian(rec.Slice(24));
            uint last = BinaryPrimitives.ReadUInt32BigEndian(rec.Slice(28));
            // Signed difference: a flow that began before sysUpTime wrapped (2^32 ms) is still in the past.
            r.StartMs = exportMs - unchecked((int)(sysUpTime - first));
            r.EndMs = exportMs - unchecked((int)(sysUpTime - last));
            r.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(rec.Slice(32));
            r.DstPort = BinaryPrimitives.ReadUInt16BigEndian(rec.Slice(34));
            r.TcpFlags = rec[37];
            r.Protocol = rec[38];
            r.Tos = rec[39];
            r.SrcAs = BinaryPrimitives.ReadUInt16BigEndian(rec.Slice(40));
            r.DstAs = BinaryPrimitives.ReadUInt16BigEndian(rec.Slice(42));
            r.SrcMask = rec[44];
            r.DstMask = rec[45];
            r.Present = V5Fields;
            if (r.Protocol == 1)
            {
                r.IcmpType = (byte)(r.DstPort >> 8);
                r.IcmpCode = (byte)r.DstPort;
                r.Present |= FlowFields.Icmp;
            }

            decoded++;
        }

        sequences.Observe(new SequenceStreamKey(exporter, Version, domain), sequence, (uint)announced, receivedAtUnixMs);
        return new DecodeResult(error, Version, decoded);
    }
}
