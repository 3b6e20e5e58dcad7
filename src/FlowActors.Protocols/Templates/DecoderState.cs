namespace FlowActors.Protocols.Templates;

/// <summary>The state one <see cref="FlowDecoder"/> shares between its protocol decoders.</summary>
internal sealed class DecoderState(FlowDecoderOptions options, TemplateCache templates, HeldDataQueue held, DomainStateTable domains, SequenceTracker sequences)
{
    public FlowDecoderOptions Options { get; } = options;
    public TemplateCache Templates { get; } = templates;
    public HeldDataQueue Held { get; } = held;
    public DomainStateTable Domains { get; } = domains;
    public SequenceTracker Sequences { get; } = sequences;

    /// <summary>
    /// Learns (or refreshes) a template, then decodes any data held for it. Shared by NetFlow v9 and IPFIX, whose
    /// template handling differs only in how the specifiers are read.
    /// </summary>
    public void LearnTemplate(in TemplateKey key, bool isOptions, int scopeCount, int fieldCount, ReadOnlySpan<byte> specs, in RecordContext ctx, long now, FlowRecordBuffer output, ref DecodeTally tally)
    {
        var error = Templates.Learn(key, isOptions, scopeCount, fieldCount, specs, now, out var plan, out bool changed);
        if (error != DecodeError.None)
        {
            tally.Fail(error);
            return;
        }

        if (changed) tally.TemplatesLearned++;

        // Held data is released on a refresh too: the template may have been imported from another node in between.
        if (Held.Count == 0) return;

        // Data that arrived before this template (earlier packets, or earlier in this one) decodes now.
        while (Held.TryTake(key, out var held))
        {
            var heldCtx = ctx;
            heldCtx.ExportTimeMs = held.ExportTimeMs;
            heldCtx.SysUpTimeMs = held.SysUpTimeMs;
            int before = tally.Records;
            if (DataSetDecoder.Decode(plan!, held.Body, in heldCtx, output, ref tally, Options.MaxSamplersPerDomain) > 0) Templates.MarkUsed(plan!);
            tally.Released += tally.Records - before;
            HeldDataQueue.Return(held);
        }
    }

    /// <summary>Decodes a data set against its template, or holds it until the template arrives (bounded).</summary>
    public void DecodeDataSet(ushort templateId, ReadOnlySpan<byte> body, in RecordContext ctx, long now, FlowRecordBuffer output, ref DecodeTally tally)
    {
        if (body.IsEmpty) return; // an empty data set holds nothing, known template or not
        var key = new TemplateKey(ctx.Exporter, ctx.Version, ctx.Domain, templateId);
        if (Templates.TryGet(key, out var plan))
        {
            int n = DataSetDecoder.Decode(plan, body, in ctx, output, ref tally, Options.MaxSamplersPerDomain);
            if (n > 0) Templates.MarkUsed(plan);
            if (plan.IsOptions) tally.OptionRecordsInMessage += n;
            else tally.FlowRecordsInMessage += n;
            return;
        }

        if (Held.TryHold(key, body, ctx.ExportTimeMs, ctx.SysUpTimeMs, now))
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

/// <summary>Running totals of one <c>Decode</c> call; becomes its <see cref="DecodeResult"/>.</summary>
internal struct DecodeTally
{
    public DecodeError Error;
    public int Records;
    public int TemplatesLearned;
    public int Held;
    public int Released;
    public int Undecodable;
    /// <summary>Flow data records of this message (not released ones): IPFIX sequence accounting.</summary>
    public int FlowRecordsInMessage;
    /// <summary>Options data records of this message.</summary>
    public int OptionRecordsInMessage;

    /// <summary>Keeps the first error.</summary>
    public void Fail(DecodeError error)
    {
        if (Error == DecodeError.None) Error = error;
    }

    public readonly DecodeResult ToResult(ushort version) =>
        new(Error, version, Records, TemplatesLearned, Held, Released, Undecodable);
}
