using System.Buffers.Binary;
using FlowActors.Protocols.Templates;

namespace FlowActors.Protocols.NetFlow;

/// <summary>
/// NetFlow v9 (RFC 3954): template, options template and data flowsets, in any order and number per packet.
/// </summary>
/// <remarks>
/// The header's <c>count</c> is not trusted (softflowd counts data records only, others count templates too): the
/// packet is walked by FlowSet lengths. Data whose template is unknown is held and decoded when the template arrives,
/// even later in the same packet. The sequence number counts export packets (RFC 3954 §5.1).
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
        while (datagram.Length - pos >= 4)
        {
            ushort flowSetId = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(pos));
            int length = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(pos + 2));
            if (length < 4)
            {
                tally.Fail(DecodeError.BadLength);
                break;
            }

            if (length > datagram.Length - pos)
            {
                tally.Fail(DecodeError.Truncated);
                break;
            }

            var body = datagram.Slice(pos + 4, length - 4);
            pos += length;
            switch (flowSetId)
            {
                case 0: ReadTemplates(body, in ctx, receivedAtUnixMs, output, ref tally); break;
                case 1: ReadOptionsTemplates(body, in ctx, receivedAtUnixMs, output, ref tally); break;
                case < 256: tally.Fail(DecodeError.BadSetId); break;
                default: ReadData(flowSetId, body, in ctx, receivedAtUnixMs, output, ref tally); break;
            }
        }

        state.Sequences.Observe(new SequenceStreamKey(exporter, Version, sourceId), sequence, 1, receivedAtUnixMs);
        return tally.ToResult(Version);
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

            Learn(new TemplateKey(ctx.Exporter, Version, ctx.Domain, templateId), false, 0, fieldCount, body.Slice(p, specLength), in ctx, now, output, ref tally);
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

            Learn(new TemplateKey(ctx.Exporter, Version, ctx.Domain, templateId), true, scopeLength / 4, specLength / 4, body.Slice(p, specLength), in ctx, now, output, ref tally);
            p += specLength;
        }
    }

    private void Learn(in TemplateKey key, bool isOptions, int scopeCount, int fieldCount, ReadOnlySpan<byte> specs, in RecordContext ctx, long now, FlowRecordBuffer output, ref DecodeTally tally)
    {
        var error = state.Templates.Learn(key, isOptions, scopeCount, fieldCount, specs, now, out var plan, out bool changed);
        if (error != DecodeError.None)
        {
            tally.Fail(error);
            return;
        }

        if (!changed) return;
        tally.TemplatesLearned++;

        // Data that arrived before this template (earlier packets, or earlier in this one) decodes now.
        while (state.Held.TryTake(key, out var held))
        {
            var heldCtx = ctx;
            heldCtx.ExportTimeMs = held.ExportTimeMs;
            heldCtx.SysUpTimeMs = held.SysUpTimeMs;
            int before = tally.Records;
            DataSetDecoder.Decode(plan!, held.Body, in heldCtx, output, ref tally, state.Options.MaxSamplersPerDomain);
            tally.Released += tally.Records - before;
            HeldDataQueue.Return(held);
        }
    }

    private void ReadData(ushort templateId, ReadOnlySpan<byte> body, in RecordContext ctx, long now, FlowRecordBuffer output, ref DecodeTally tally)
    {
        var key = new TemplateKey(ctx.Exporter, Version, ctx.Domain, templateId);
        if (state.Templates.TryGet(key, out var plan))
        {
            DataSetDecoder.Decode(plan, body, in ctx, output, ref tally, state.Options.MaxSamplersPerDomain);
            return;
        }

        if (state.Held.TryHold(key, body, ctx.ExportTimeMs, ctx.SysUpTimeMs, now))
        {
            tally.Held++;
        }
        else
        {
            tally.Undecodable++;
            tally.Fail(DecodeError.MissingTemplate);
        }
    }
}
