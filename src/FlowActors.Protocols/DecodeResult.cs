namespace FlowActors.Protocols;

/// <summary>Why a datagram (or part of it) could not be decoded. The caller counts these per exporter.</summary>
public enum DecodeError : byte
{
    /// <summary>Decoded without error.</summary>
    None = 0,
    /// <summary>Too short for any supported header.</summary>
    TooShort,
    /// <summary>The version field names no supported protocol.</summary>
    UnknownVersion,
    /// <summary>A length field points past the end of the datagram.</summary>
    Truncated,
    /// <summary>A length or count field holds an impossible value (zero, too small, not a multiple, ...).</summary>
    BadLength,
    /// <summary>A template or options template is malformed (zero fields, impossible field lengths, ...).</summary>
    BadTemplate,
    /// <summary>Data referred to a template that is unknown and could not be held for later (hold queue full or disabled).</summary>
    MissingTemplate,
    /// <summary>A set id / flowset id is reserved or unknown.</summary>
    BadSetId,
    /// <summary>An sFlow structure (sample, record, header) is malformed.</summary>
    BadSample,
    /// <summary>The exporter's template quota or the global template quota is exhausted.</summary>
    TemplateLimit,
    /// <summary>The output buffer was full; records were dropped.</summary>
    OutputFull,
}

/// <summary>
/// What decoding one datagram produced. Never thrown: malformed input is described here and the caller counts it.
/// </summary>
/// <param name="Error">The first error met, or <see cref="DecodeError.None"/>. Records decoded before it are kept.</param>
/// <param name="Version">Protocol version detected (5, 9, 10, or <see cref="FlowRecord.SFlowVersion"/>), 0 when unknown.</param>
/// <param name="Records">Records appended to the output buffer by this call (including released held data).</param>
/// <param name="TemplatesLearned">Templates and options templates added or replaced.</param>
/// <param name="RecordsHeld">Data sets (flowsets) held back because their template has not arrived yet; how many records they hold is known only once it arrives.</param>
/// <param name="RecordsReleased">Previously held records decoded by this call because their template arrived.</param>
/// <param name="RecordsUndecodable">Data sets (flowsets) dropped because their template is unknown and they could not be held.</param>
public readonly record struct DecodeResult(
    DecodeError Error,
    ushort Version,
    int Records,
    int TemplatesLearned = 0,
    int RecordsHeld = 0,
    int RecordsReleased = 0,
    int RecordsUndecodable = 0)
{
    /// <summary>True when the whole datagram decoded without error.</summary>
    public bool IsOk => Error == DecodeError.None;
}
