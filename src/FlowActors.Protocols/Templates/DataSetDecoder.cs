using System.Runtime.CompilerServices;

namespace FlowActors.Protocols.Templates;

/// <summary>Decodes the records of one data set / data flowset against its field plan (shared by NetFlow v9 and IPFIX).</summary>
internal static class DataSetDecoder
{
    /// <summary>
    /// Decodes every record in <paramref name="body"/> (a set without its 4-byte header). Trailing bytes shorter than
    /// a record are padding (RFC 3954 §5.3, RFC 7011 §3.3.1).
    /// </summary>
    /// <returns>Records decoded (flow records appended, or options records applied).</returns>
    public static int Decode(FieldPlan plan, ReadOnlySpan<byte> body, in RecordContext ctx, FlowRecordBuffer output, ref DecodeTally tally, int maxSamplers)
    {
        int decoded = 0;
        int min = plan.RecordLength;
        if (plan.IsOptions)
        {
            while (body.Length >= min)
            {
                int used = plan.DecodeOptions(body, ctx.State, maxSamplers);
                if (used <= 0)
                {
                    tally.Fail(DecodeError.BadLength);
                    break;
                }

                decoded++;
                body = body.Slice(used);
            }

            return decoded;
        }

        while (body.Length >= min)
        {
            ref FlowRecord r = ref output.Append();
            if (Unsafe.IsNullRef(ref r))
            {
                tally.Fail(DecodeError.OutputFull);
                break;
            }

            int used = plan.DecodeData(body, ref r, in ctx);
            if (used <= 0)
            {
                // A variable-length field ran past the end of the set: the record is malformed, drop it.
                output.RemoveLast();
                tally.Fail(DecodeError.BadLength);
                break;
            }

            decoded++;
            body = body.Slice(used);
        }

        tally.Records += decoded;
        return decoded;
    }
}
