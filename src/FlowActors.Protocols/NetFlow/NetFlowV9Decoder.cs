using System.Buffers.Binary;
using FlowActors.Protocols.Templates;

namespace FlowActors.Protocols.NetFlow;

/// <summary>
/// NetFlow v9 (RFC 3954): template, options template and data flowsets, in any order and number per packet.
/// </summary>
/// <remarks>
/// The header's <c>count</c> is not trusted (softflowd counts data records only, others count templates too): the
/// packet is walked by FlowSet lengths. Data whose template is unknown is held and decoded when the template arrives,
/// even later in the same packet. The sequence number counts export packets (RFC 3954 §5.1); exporters that count
/// data records instead are recognised from two consecutive packets.
/// </remarks>
internal sealed class NetFlowV9Decoder(DecoderState state)
{
    public const int HeaderLength = 20;
    private const ushort Version = 9;

    public DecodeResult Decode(ReadOnlySpan<byte> datagram, FlowAddress exporter, long receivedAtUnixMs, FlowRecordBuffer output)
    {
        if (datagram.Length < HeaderLength) return new DecodeResult(DecodeError.TooShort, Version, 0);

        uint sysUpTime = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(4));
        uint unixSecs = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(8));
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(12));
        uint sourceId = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(16));

        var tally = default(DecodeTally);
        var ctx = new RecordContext
        {
            Exporter = exporter,
            Domain = sourceId,
            Version = Version,
            ExportTimeMs = unixSecs * 1000L,
            SysUpTimeMs = sysUpTime,
            UptimeFromHeader = true,
            State = state.Domains.GetOrAdd(new DomainKey(exporter, Version, sourceId), receivedAtUnixMs),
            Sampling = state.Options.Sampling,
        };

        int pos = HeaderLength;
        while (SetReader.TryNext(datagram, ref pos, out ushort flowSetId, out var body, ref tally))
        {
            switch (flowSetId)
            {
                case 0: ReadTemplates(body, in ctx, receivedAtUnixMs, output, ref tally); break;
                case 1: ReadOptionsTemplates(body, in ctx, receivedAtUnixMs, output, ref tally); break;
                case < 256: tally.Fail(DecodeError.BadSetId); break;
                default: state.DecodeDataSet(flowSetId, body, in ctx, receivedAtUnixMs, output, ref tally); break;
            }
        }

        ObserveSequence(exporter, sourceId, sequence, ctx.State, in tally, receivedAtUnixMs);
        return tally.ToResult(Version);
    }

    private void ObserveSequence(FlowAddress exporter, uint sourceId, uint sequence, DomainState domain, in DecodeTally tally, long now)
    {
        // RFC 3954 §5.1 counts packets; some exporters count data records as in v5. Two consecutive packets tell
        // which (when their record counts make the readings differ); until then the RFC reading is used.
        var key = new SequenceStreamKey(exporter, Version, sourceId);
        uint records = (uint)(tally.FlowRecordsInMessage + tally.OptionRecordsInMessage);
        if (domain.HasPrevious && domain.SequenceMode == SequenceNumbering.Unknown)
        {
            bool packets = sequence == unchecked(domain.PreviousSequence + 1);
            bool counted = domain.PreviousAllRecords != 0 && sequence == unchecked(domain.PreviousSequence + domain.PreviousAllRecords);
            if (packets && !counted)
            {
                domain.SequenceMode = SequenceNumbering.Rfc;
            }
            else if (counted && !packets)
            {
                domain.SequenceMode = SequenceNumbering.CountsRecords;
                if (state.Sequences.Streams.TryGetValue(key, out var stream)) stream.Expected = sequence;
            }
        }

        domain.HasPrevious = true;
        domain.PreviousSequence = sequence;
        domain.PreviousAllRecords = records;
        state.Sequences.Observe(key, sequence, domain.SequenceMode == SequenceNumbering.CountsRecords ? records : 1, now);
    }

    private void ReadTemplates(ReadOnlySpan<byte> body, in RecordContext ctx, long now, FlowRecordBuffer output, ref DecodeTally tally)
    {
        int p = 0;
        while (body.Length - p >= 4)
        {
            ushort templateId = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(p));
            int fieldCount = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(p + 2));
            p += 4;
            if (templateId == 0 && fieldCount == 0) break; // padding
            int specLength = fieldCount * 4;
            if (templateId < 256 || fieldCount == 0)
            {
                tally.Fail(DecodeError.BadTemplate);
                break;
            }

            if (specLength > body.Length - p)
            {
                tally.Fail(DecodeError.Truncated);
                break;
            }

            state.LearnTemplate(new TemplateKey(ctx.Exporter, Version, ctx.Domain, templateId), false, 0, fieldCount, body.Slice(p, specLength), in ctx, now, output, ref tally);
            p += specLength;
        }
    }

    private void ReadOptionsTemplates(ReadOnlySpan<byte> body, in RecordContext ctx, long now, FlowRecordBuffer output, ref DecodeTally tally)
    {
        int p = 0;
        while (body.Length - p >= 6)
        {
            ushort templateId = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(p));
            int scopeLength = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(p + 2));
            int optionLength = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(p + 4));
            p += 6;
            if (templateId == 0 && scopeLength == 0 && optionLength == 0) break; // padding
            if (templateId < 256 || scopeLength % 4 != 0 || optionLength % 4 != 0 || scopeLength + optionLength == 0)
            {
                tally.Fail(DecodeError.BadTemplate);
                break;
            }

            int specLength = scopeLength + optionLength;
            if (specLength > body.Length - p)
            {
                tally.Fail(DecodeError.Truncated);
                break;
            }

            state.LearnTemplate(new TemplateKey(ctx.Exporter, Version, ctx.Domain, templateId), true, scopeLength / 4, specLength / 4, body.Slice(p, specLength), in ctx, now, output, ref tally);
            p += specLength;
        }
    }
}
