namespace FlowActors.Protocols.Templates;

/// <summary>The state one <see cref="FlowDecoder"/> shares between its protocol decoders.</summary>
internal sealed class DecoderState(FlowDecoderOptions options, TemplateCache templates, HeldDataQueue held, DomainStateTable domains, SequenceTracker sequences)
{
    public FlowDecoderOptions Options { get; } = options;
    public TemplateCache Templates { get; } = templates;
    public HeldDataQueue Held { get; } = held;
    public DomainStateTable Domains { get; } = domains;
    public SequenceTracker Sequences { get; } = sequences;
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
