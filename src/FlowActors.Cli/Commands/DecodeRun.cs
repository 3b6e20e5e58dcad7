using FlowActors.Cli.Formatting;
using FlowActors.Protocols;
using FlowActors.Protocols.Capture;

namespace FlowActors.Cli.Commands;

/// <summary>One execution of <see cref="DecodeCommand"/>: the decoder, the output and the running totals.</summary>
internal sealed class DecodeRun
{
    private static readonly DecodeError[] ErrorKinds = Enum.GetValues<DecodeError>();

    private readonly DecodeCommand.Options _options;
    private readonly TextWriter _stderr;
    private readonly FlowDecoder _decoder = new();
    private readonly FlowRecordWriter _writer;
    private readonly long[] _errors = new long[ErrorKinds.Length];
    private long _datagrams;
    private long _records;
    private long _held;
    private long _released;
    private long _undecodable;
    private long _templates;
    private long _lastExpiryMs = long.MinValue;
    private long _capturePackets, _captureNotUdp, _captureFragments, _captureMalformed, _captureUnknownLink;

    public DecodeRun(DecodeCommand.Options options, TextWriter stdout, TextWriter stderr)
    {
        _options = options;
        _stderr = stderr;
        _writer = new FlowRecordWriter(stdout, options.Format);
    }

    public int Execute()
    {
        int exitCode = 0;
        using var output = new FlowRecordBuffer(initialCapacity: 1_024);
        _writer.WriteHeader();
        foreach (string path in _options.Files)
        {
            string? problem;
            try
            {
                problem = _options.Raw ? DecodeRaw(path, output) : DecodeCapture(path, output);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                problem = e.Message;
            }

            if (_writer.OutputError is not null)
            {
                break; // nobody reads the records any more
            }

            if (problem is not null)
            {
                _writer.Flush(); // records decoded so far come before the complaint
                _stderr.WriteLine($"flowctl decode: {path}: {problem}");
                exitCode = 1;
            }
        }

        _writer.Flush();
        if (_writer.OutputError is not null)
        {
            _stderr.WriteLine($"flowctl decode: output closed ({_writer.OutputError}); stopped early.");
            exitCode = 1;
        }

        WriteSummary();
        return exitCode;
    }

    private string? DecodeCapture(string path, FlowRecordBuffer output)
    {
        using var reader = new PcapReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16)) { PortFilter = _options.Port };
        while (_writer.OutputError is null && reader.TryReadNext(out var datagram))
        {
            Decode(datagram.Payload.Span, datagram.Source, datagram.TimestampUs / 1_000, output);
        }

        _capturePackets += reader.Stats.Packets;
        _captureNotUdp += reader.Stats.NotUdp;
        _captureFragments += reader.Stats.Fragments;
        _captureMalformed += reader.Stats.Malformed;
        _captureUnknownLink += reader.Stats.UnknownLinkType;
        return reader.Error is null ? null : $"{reader.Error} (after {reader.Stats.Packets} packets)";
    }

    private string? DecodeRaw(string path, FlowRecordBuffer output)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        if (file.Length > DecodeCommand.MaxRawDatagram)
        {
            return $"{file.Length} bytes is larger than any UDP datagram ({DecodeCommand.MaxRawDatagram}); is it a capture? Drop --raw.";
        }

        var bytes = new byte[file.Length];
        file.ReadExactly(bytes);
        long receivedAt = new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeMilliseconds();
        Decode(bytes, _options.Exporter, receivedAt, output);
        return null;
    }

    private void Decode(ReadOnlySpan<byte> datagram, FlowAddress exporter, long receivedAtMs, FlowRecordBuffer output)
    {
        // Age templates and held data on the capture's own clock, as a live receiver would on its tick.
        if (receivedAtMs - _lastExpiryMs >= 1_000)
        {
            if (_lastExpiryMs != long.MinValue) _decoder.ExpireTemplates(receivedAtMs);
            _lastExpiryMs = receivedAtMs;
        }

        output.Clear();
        var result = _decoder.Decode(datagram, exporter, receivedAtMs, output);
        _datagrams++;
        _records += result.Records;
        _held += result.RecordsHeld;
        _released += result.RecordsReleased;
        _undecodable += result.RecordsUndecodable;
        _templates += result.TemplatesLearned;
        _errors[(int)result.Error]++;
        foreach (ref readonly var record in output.Records)
        {
            _writer.Write(record);
        }
    }

    private void WriteSummary()
    {
        var e = _stderr;
        e.WriteLine($"datagrams: {_datagrams}");
        e.WriteLine($"records: {_records}");
        var errors = new List<string>();
        for (int i = 0; i < ErrorKinds.Length; i++)
        {
            if (ErrorKinds[i] != DecodeError.None && _errors[i] > 0) errors.Add($"{ErrorKinds[i]} {_errors[i]}");
        }

        e.WriteLine($"errors: {(errors.Count == 0 ? "none" : string.Join(", ", errors))}");
        e.WriteLine($"templates learned: {_templates}");
        long expired = 0;
        foreach (var s in _decoder.Exporters.Snapshot()) expired += s.HeldExpired;
        e.WriteLine($"held for missing templates: {_held} records (released {_released}, undecodable {_undecodable}, expired data sets {expired}, still waiting {_decoder.HeldData.Count} data sets)");
        var seq = _decoder.Sequences;
        e.WriteLine($"sequence: {seq.Count} streams, {seq.TotalGaps} gaps, {seq.TotalLost} lost, {seq.TotalReordered} reordered");
        if (!_options.Raw)
        {
            e.WriteLine($"capture: {_capturePackets} packets, {_captureNotUdp} not UDP, {_captureFragments} fragments, {_captureMalformed} malformed, {_captureUnknownLink} unknown link type");
        }

        e.Flush();
    }
}
