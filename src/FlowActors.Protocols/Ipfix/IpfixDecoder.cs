using System.Buffers.Binary;
using FlowActors.Protocols.Templates;

namespace FlowActors.Protocols.Ipfix;

/// <summary>
/// IPFIX (RFC 7011): template, options template and data sets; variable-length fields; enterprise-specific IEs;
/// template withdrawal (one template, all templates, all options templates).
/// </summary>
/// <remarks>
/// Sequence numbers count data records (RFC 7011 §3.1). softflowd instead counts flow records up to and including the
/// current message and leaves options records out; the decoder recognises either numbering from two consecutive
/// messages and accounts accordingly, so neither shows up as loss.
/// </remarks>
internal sealed class IpfixDecoder(DecoderState state)
{
    public const int HeaderLength = 16;
    private const ushort Version = 10;
    private const ushort TemplateSetId = 2;
    private const ushort OptionsTemplateSetId = 3;

    public DecodeResult Decode(ReadOnlySpan<byte> datagram, FlowAddress exporter, long receivedAtUnixMs, FlowRecordBuffer output)
    {
        if (datagram.Length < HeaderLength) return new DecodeResult(DecodeError.TooShort, Version, 0);

        int messageLength = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(2));
        if (messageLength < HeaderLength) return new DecodeResult(DecodeError.BadLength, Version, 0);
        if (messageLength > datagram.Length) return new DecodeResult(DecodeError.Truncated, Version, 0);
        datagram = datagram.Slice(0, messageLength);

        uint exportTime = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(4));
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(8));
        uint domainId = BinaryPrimitives.ReadUInt32BigEndian(datagram.Slice(12));

        var tally = default(DecodeTally);
        var domain = state.Domains.GetOrAdd(new DomainKey(exporter, Version, domainId), receivedAtUnixMs);
        var ctx = new RecordContext
        {
            Exporter = exporter,
            Domain = domainId,
            Version = Version,
            ExportTimeMs = exportTime * 1000L,
            UptimeFromHeader = false,
            State = domain,
            Sampling = state.Options.Sampling,
        };

        int pos = HeaderLength;
        while (SetReader.TryNext(datagram, ref pos, out ushort setId, out var body, ref tally))
        {
            switch (setId)
            {
                case TemplateSetId: ReadTemplates(body, false, in ctx, receivedAtUnixMs, output, ref tally); break;
                case OptionsTemplateSetId: ReadTemplates(body, true, in ctx, receivedAtUnixMs, output, ref tally); break;
                case < 256: tally.Fail(DecodeError.BadSetId); break;
                default: state.DecodeDataSet(setId, body, in ctx, receivedAtUnixMs, output, ref tally); break;
            }
        }

        if (pos < datagram.Length) tally.Fail(DecodeError.BadLength); // RFC 7011 §3.3.1: sets fill the message exactly

        ObserveSequence(exporter, domainId, sequence, domain, in tally, receivedAtUnixMs);
        return tally.ToResult(Version);
    }

    private void ObserveSequence(FlowAddress exporter, uint domainId, uint sequence, DomainState domain, in DecodeTally tally, long now)
    {
        var key = new SequenceStreamKey(exporter, Version, domainId);
        uint all = (uint)(tally.FlowRecordsInMessage + tally.OptionRecordsInMessage);
        uint flows = (uint)tally.FlowRecordsInMessage;
        if (domain.HasPrevious && domain.SequenceMode == SequenceNumbering.Unknown && all != 0)
        {
            bool rfc = sequence == unchecked(domain.PreviousSequence + domain.PreviousAllRecords);
            bool current = sequence == unchecked(domain.PreviousSequence + flows);
            if (rfc && !current)
            {
                domain.SequenceMode = SequenceNumbering.Rfc;
            }
            else if (current && !rfc)
            {
                domain.SequenceMode = SequenceNumbering.CountsCurrentMessage;
                // The stream was started under the RFC reading; restate what it expects under softflowd's.
                if (state.Sequences.Streams.TryGetValue(key, out var stream)) stream.Expected = unchecked(sequence - flows);
            }
        }

        domain.HasPrevious = true;
        domain.PreviousSequence = sequence;
        domain.PreviousAllRecords = all;
        if (domain.SequenceMode == SequenceNumbering.CountsCurrentMessage)
        {
            state.Sequences.Observe(key, unchecked(sequence - flows), flows, now);
        }
        else
        {
            state.Sequences.Observe(key, sequence, all, now);
        }
    }

    private void ReadTemplates(ReadOnlySpan<byte> body, bool options, in RecordContext ctx, long now, FlowRecordBuffer output, ref DecodeTally tally)
    {
        int p = 0;
        while (body.Length - p >= 4)
        {
            ushort templateId = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(p));
            int fieldCount = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(p + 2));
            if (templateId == 0 && fieldCount == 0) break; // padding
            p += 4;
            if (fieldCount == 0)
            {
                // RFC 7011 §8.1: a withdrawal. Template id 2 (in a template set) or 3 (in an options template set)
                // withdraws every template of that kind in the domain.
                if (templateId == (options ? OptionsTemplateSetId : TemplateSetId))
                {
                    state.Templates.WithdrawAll(ctx.Exporter, Version, ctx.Domain, options);
                }
                else if (templateId >= 256)
                {
                    state.Templates.Withdraw(new TemplateKey(ctx.Exporter, Version, ctx.Domain, templateId));
                }
                else
                {
                    tally.Fail(DecodeError.BadTemplate);
                    break;
                }

                continue;
            }

            int scopeCount = 0;
            if (options)
            {
                if (body.Length - p < 2)
                {
                    tally.Fail(DecodeError.Truncated);
                    break;
                }

                scopeCount = BinaryPrimitives.ReadUInt16BigEndian(body.Slice(p));
                p += 2;
            }

            int specLength = FieldPlan.MeasureSpecifiers(Version, body.Slice(p), fieldCount);
            if (specLength < 0)
            {
                tally.Fail(DecodeError.Truncated);
                break;
            }

            var specs = body.Slice(p, specLength);
            p += specLength;

            // RFC 7011 §3.4.2.2: an options template has at least one scope field.
            if (templateId < 256 || (options && (scopeCount == 0 || scopeCount > fieldCount)))
            {
                tally.Fail(DecodeError.BadTemplate);
                continue;
            }

            state.LearnTemplate(new TemplateKey(ctx.Exporter, Version, ctx.Domain, templateId), options, scopeCount, fieldCount, specs, in ctx, now, output, ref tally);
        }
    }
}
