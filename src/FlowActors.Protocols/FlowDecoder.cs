using System.Buffers.Binary;
using FlowActors.Protocols.Ipfix;
using FlowActors.Protocols.NetFlow;
using FlowActors.Protocols.Templates;

namespace FlowActors.Protocols;

/// <summary>
/// Decodes flow export datagrams of any supported protocol into <see cref="FlowRecord"/>s: NetFlow v5, NetFlow v9,
/// IPFIX and sFlow v5, told apart by their first bytes.
/// </summary>
/// <remarks>
/// <para>One decoder holds one template cache, one hold queue for data that came before its template, the sequence
/// accounting and the per-exporter counters. Decode everything from one set of exporters through one instance, in
/// arrival order.</para>
/// <para>Not thread-safe: one receiver (actor, socket loop) owns it. <see cref="Decode"/> never throws on malformed
/// input and allocates nothing per record after warm-up.</para>
/// </remarks>
public sealed class FlowDecoder
{
    private readonly NetFlowV5Decoder _v5;
    private readonly NetFlowV9Decoder _v9;
    private readonly IpfixDecoder _ipfix;

    /// <summary>Creates a decoder.</summary>
    /// <param name="options">Limits and sampling policy; defaults when null.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public FlowDecoder(FlowDecoderOptions? options = null)
    {
        Options = options ?? new FlowDecoderOptions();
        Options.Validate();
        Sequences = new SequenceTracker(Options.MaxSequenceStreams);
        Templates = new TemplateCache(Options.MaxTemplatesPerExporter, Options.MaxTemplates, Options.MaxFieldsPerTemplate);
        Exporters = new ExporterStatsRegistry(Options.MaxExporters);
        HeldData = new HeldDataQueue(Options.HeldDataMaxCount, Options.HeldDataMaxBytes, (long)Options.HeldDataMaxAge.TotalMilliseconds, Exporters);
        var state = new DecoderState(Options, Templates, HeldData, new DomainStateTable(Options.MaxDomains), Sequences);
        _v5 = new NetFlowV5Decoder(Options.Sampling, Sequences);
        _v9 = new NetFlowV9Decoder(state);
        _ipfix = new IpfixDecoder(state);
    }

    /// <summary>The options in force (validated).</summary>
    public FlowDecoderOptions Options { get; }

    /// <summary>Sequence-number accounting per (exporter, version, domain).</summary>
    public SequenceTracker Sequences { get; }

    /// <summary>NetFlow v9 and IPFIX templates learnt so far.</summary>
    public TemplateCache Templates { get; }

    /// <summary>Per-exporter counters: datagrams, records, errors by kind, held and undecodable data.</summary>
    public ExporterStatsRegistry Exporters { get; }

    /// <summary>Data waiting for its template.</summary>
    public HeldDataQueue HeldData { get; }

    /// <summary>
    /// Decodes one datagram. Auto-detects the protocol: bytes 0–1 equal to 5 NetFlow v5, 9 NetFlow v9, 10 IPFIX;
    /// bytes 0–3 equal to 5 (a 32-bit version) sFlow v5.
    /// </summary>
    /// <param name="datagram">The UDP payload.</param>
    /// <param name="exporter">The datagram's source address (the exporter).</param>
    /// <param name="receivedAtUnixMs">Receive time, Unix ms: ages templates and held data (not used for flow times).</param>
    /// <param name="output">Records are appended here; it is not cleared first.</param>
    /// <returns>What was decoded, and the first error met (records before it are kept).</returns>
    public DecodeResult Decode(ReadOnlySpan<byte> datagram, FlowAddress exporter, long receivedAtUnixMs, FlowRecordBuffer output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var stats = Exporters.For(exporter, receivedAtUnixMs);
        stats.Datagrams++;

        DecodeResult result;
        if (datagram.Length < 4)
        {
            result = new DecodeResult(DecodeError.TooShort, 0, 0);
        }
        else
        {
            result = BinaryPrimitives.ReadUInt16BigEndian(datagram) switch
            {
                5 => _v5.Decode(datagram, exporter, receivedAtUnixMs, output),
                9 => _v9.Decode(datagram, exporter, receivedAtUnixMs, output),
                10 => _ipfix.Decode(datagram, exporter, receivedAtUnixMs, output),
                0 when BinaryPrimitives.ReadUInt32BigEndian(datagram) == 5 => DecodeSFlow(datagram, exporter, receivedAtUnixMs, output),
                _ => new DecodeResult(DecodeError.UnknownVersion, 0, 0),
            };
        }

        stats.Records += result.Records;
        stats.TemplatesLearned += result.TemplatesLearned;
        stats.Held += result.RecordsHeld;
        stats.Released += result.RecordsReleased;
        stats.Undecodable += result.RecordsUndecodable;
        if (result.Error != DecodeError.None) stats.CountError(result.Error);
        return result;
    }

    /// <summary>
    /// sFlow v5 dispatch. Until the sFlow decoder (SFlow/SFlowV5Decoder.cs) is merged this reports
    /// <see cref="DecodeError.UnknownVersion"/>. To wire it: add the field
    /// <c>private readonly SFlow.SFlowV5Decoder _sflow;</c>, create it in the constructor with
    /// <c>new SFlow.SFlowV5Decoder(Options.Sampling, Sequences)</c>, and replace the one marked line below.
    /// </summary>
    private DecodeResult DecodeSFlow(ReadOnlySpan<byte> datagram, FlowAddress exporter, long receivedAtUnixMs, FlowRecordBuffer output)
    {
        _ = (datagram.Length, exporter, receivedAtUnixMs, output);
        return new DecodeResult(DecodeError.UnknownVersion, 0, 0); // SFLOW-DISPATCH: return _sflow.Decode(datagram, exporter, receivedAtUnixMs, output);
    }

    /// <summary>
    /// Drops templates not refreshed within <see cref="FlowDecoderOptions.TemplateMaxAge"/> and held data older than
    /// <see cref="FlowDecoderOptions.HeldDataMaxAge"/> (counted per exporter). Call it periodically (e.g. every few seconds).
    /// </summary>
    /// <param name="nowUnixMs">The same clock as <c>receivedAtUnixMs</c> in <see cref="Decode"/>.</param>
    /// <returns>Templates and held data sets dropped.</returns>
    public int ExpireTemplates(long nowUnixMs)
    {
        long cutoff = nowUnixMs - (long)Options.TemplateMaxAge.TotalMilliseconds;
        return Templates.Expire(cutoff) + HeldData.Expire(nowUnixMs);
    }
}
