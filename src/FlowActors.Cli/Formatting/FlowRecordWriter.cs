using System.Globalization;
using FlowActors.Protocols;

namespace FlowActors.Cli.Formatting;

/// <summary>How <see cref="FlowRecordWriter"/> lays records out.</summary>
public enum FlowOutputFormat
{
    /// <summary>One JSON object per line; absent fields are <c>null</c>.</summary>
    JsonLines,
    /// <summary>RFC 4180 CSV with a header line; absent fields are empty cells.</summary>
    Csv,
}

/// <summary>
/// Writes <see cref="FlowRecord"/>s with the canonical snake_case field names (<see cref="FieldNames"/>), formatting
/// into a reused character buffer (no string per field or record) and handing full buffers to the output.
/// </summary>
/// <remarks>
/// A field whose <see cref="FlowRecord.Present"/> bit is clear prints as JSON <c>null</c> or an empty CSV cell, so
/// "the exporter did not say" is never confused with zero. Times are ISO-8601 UTC with milliseconds and <c>Z</c>.
/// </remarks>
public sealed class FlowRecordWriter
{
    /// <summary>The canonical field names, in output order.</summary>
    public static readonly IReadOnlyList<string> FieldNames =
    [
        "version", "exporter", "domain", "src_addr", "dst_addr", "src_port", "dst_port", "protocol", "tcp_flags",
        "packets", "bytes", "packets_scaled", "bytes_scaled", "sampling_rate", "start", "end", "input_if", "output_if",
        "src_as", "dst_as", "next_hop", "src_mask", "dst_mask", "tos", "vlan", "icmp_type", "icmp_code", "direction",
        "flow_end_reason", "sampler_id", "firewall_event",
    ];

    private const int BufferSize = 32 * 1024;
    private const int MaxRecordChars = 2 * 1024; // 31 fields: three IPv6 addresses, two times and numbers fit with room to spare
    private const long MinUnixMs = -62_135_596_800_000; // 0001-01-01
    private const long MaxUnixMs = 253_402_300_799_999; // 9999-12-31T23:59:59.999

    private static readonly string[] JsonKeys = BuildJsonKeys();

    private readonly TextWriter _output;
    private readonly FlowOutputFormat _format;
    private readonly char[] _buffer = new char[BufferSize];
    private int _length;
    private int _field;

    /// <summary>Creates a writer over <paramref name="output"/> (which should itself be buffered).</summary>
    public FlowRecordWriter(TextWriter output, FlowOutputFormat format)
    {
        _output = output ?? throw new ArgumentNullException(nameof(output));
        _format = format;
    }

    /// <summary>Writes the CSV header line (nothing for JSON lines).</summary>
    public void WriteHeader()
    {
        if (_format != FlowOutputFormat.Csv) return;
        EnsureRoom();
        for (int i = 0; i < FieldNames.Count; i++)
        {
            if (i > 0) Append(',');
            Append(FieldNames[i]);
        }

        Append('\n');
    }

    /// <summary>Writes one record as one line.</summary>
    public void Write(in FlowRecord r)
    {
        EnsureRoom();
        _field = 0;
        if (_format == FlowOutputFormat.JsonLines) Append('{');

        bool hasIp = !r.SrcAddr.IsNone || !r.DstAddr.IsNone;
        Number(r.Version);
        Address(r.Exporter);
        Number(r.ObservationDomain);
        Address(r.SrcAddr);
        Address(r.DstAddr);
        Number(r.SrcPort, r.Has(FlowFields.Ports));
        Number(r.DstPort, r.Has(FlowFields.Ports));
        Number(r.Protocol, hasIp);
        Number(r.TcpFlags, r.Has(FlowFields.TcpFlags));
        Number(r.Packets);
        Number(r.Bytes);
        Number(r.PacketsScaled);
        Number(r.BytesScaled);
        Number(r.SamplingRate);
        Time(r.StartMs, r.Has(FlowFields.Times));
        Time(r.EndMs, r.Has(FlowFields.Times));
        Number(r.InputInterface, r.Has(FlowFields.InputInterface));
        Number(r.OutputInterface, r.Has(FlowFields.OutputInterface));
        Number(r.SrcAs, r.Has(FlowFields.AsNumbers));
        Number(r.DstAs, r.Has(FlowFields.AsNumbers));
        Address(r.NextHop, r.Has(FlowFields.NextHop));
        Number(r.SrcMask, r.Has(FlowFields.Masks));
        Number(r.DstMask, r.Has(FlowFields.Masks));
        Number(r.Tos, r.Has(FlowFields.Tos));
        Number(r.Vlan, r.Has(FlowFields.Vlan));
        Number(r.IcmpType, r.Has(FlowFields.Icmp));
        Number(r.IcmpCode, r.Has(FlowFields.Icmp));
        Number((byte)r.Direction, r.Has(FlowFields.Direction));
        Number(r.FlowEndReason, r.Has(FlowFields.FlowEndReason));
        Number(r.SamplerId, r.Has(FlowFields.SamplerId));
        Number(r.FirewallEvent, r.Has(FlowFields.FirewallEvent));

        if (_format == FlowOutputFormat.JsonLines) Append('}');
        Append('\n');
    }

    /// <summary>
    /// Why the output stopped accepting text (e.g. the reading end of a pipe closed, as with <c>| head</c>); null while
    /// it works. Once set, records are dropped instead of written.
    /// </summary>
    public string? OutputError { get; private set; }

    /// <summary>Hands buffered text to the output and flushes it.</summary>
    public void Flush()
    {
        Drain();
        if (OutputError is not null) return;
        try
        {
            _output.Flush();
        }
        catch (IOException e)
        {
            OutputError = e.Message;
        }
    }

    private void Name()
    {
        int i = _field++;
        if (_format == FlowOutputFormat.JsonLines) Append(i == 0 ? JsonKeys[0].AsSpan(1) : JsonKeys[i]);
        else if (i > 0) Append(',');
    }

    private void Null()
    {
        if (_format == FlowOutputFormat.JsonLines) Append("null");
    }

    private void Number(ulong value, bool present = true)
    {
        Name();
        if (!present)
        {
            Null();
            return;
        }

        value.TryFormat(_buffer.AsSpan(_length), out int written, default, CultureInfo.InvariantCulture);
        _length += written;
    }

    private void Address(FlowAddress address, bool present = true)
    {
        Name();
        if (!present || address.IsNone)
        {
            Null();
            return;
        }

        Quote();
        address.TryFormat(_buffer.AsSpan(_length), out int written);
        _length += written;
        Quote();
    }

    private void Time(long unixMs, bool present)
    {
        Name();
        if (!present || unixMs < MinUnixMs || unixMs > MaxUnixMs)
        {
            Null();
            return;
        }

        Quote();
        var time = DateTime.UnixEpoch.AddMilliseconds(unixMs);
        time.TryFormat(_buffer.AsSpan(_length), out int written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        _length += written;
        Quote();
    }

    private void Quote()
    {
        if (_format == FlowOutputFormat.JsonLines) Append('"');
    }

    private void Append(char c) => _buffer[_length++] = c;

    private void Append(ReadOnlySpan<char> text)
    {
        text.CopyTo(_buffer.AsSpan(_length));
        _length += text.Length;
    }

    private void EnsureRoom()
    {
        if (_buffer.Length - _length < MaxRecordChars) Drain();
    }

    private void Drain()
    {
        if (_length == 0) return;
        try
        {
            if (OutputError is null) _output.Write(_buffer, 0, _length);
        }
        catch (IOException e)
        {
            OutputError = e.Message;
        }

        _length = 0;
    }

    private static string[] BuildJsonKeys()
    {
        var keys = new string[FieldNames.Count];
        for (int i = 0; i < keys.Length; i++) keys[i] = ",\"" + FieldNames[i] + "\":";
        return keys;
    }
}
