using System.Buffers.Binary;
using System.Net;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>
/// Test-side sFlow v5 encoder: writes datagrams exactly as sflow.org/sflow_version_5.txt lays them out (XDR:
/// big-endian 32-bit words, opaque data padded to four bytes), so each test can build the quirk it checks.
/// </summary>
internal sealed class SFlowBuilder
{
    private readonly List<(uint Format, byte[] Body)> _samples = new();
    private readonly IPAddress? _agent;
    private readonly uint _subAgent;
    private readonly uint _sequence;
    private readonly uint _uptime;
    private uint? _sampleCountOverride;
    private uint _agentTypeOverride = uint.MaxValue;

    public SFlowBuilder(string? agent = "192.0.2.1", uint subAgent = 0, uint sequence = 1, uint uptimeMs = 60_000)
    {
        _agent = agent is null ? null : IPAddress.Parse(agent);
        _subAgent = subAgent;
        _sequence = sequence;
        _uptime = uptimeMs;
    }

    /// <summary>Announces a different sample count than the samples added.</summary>
    public SFlowBuilder WithSampleCount(uint count)
    {
        _sampleCountOverride = count;
        return this;
    }

    /// <summary>Writes this agent address type instead of the real one.</summary>
    public SFlowBuilder WithAgentAddressType(uint type)
    {
        _agentTypeOverride = type;
        return this;
    }

    /// <summary>flow_sample (format 1): compact source id and interfaces (2-bit format + 30-bit value).</summary>
    public SFlowBuilder FlowSample(uint samplingRate, uint input, uint output, params SFlowRecordBytes[] records) =>
        FlowSample(samplingRate, input, output, sequence: 1, sourceIndex: input, records);

    public SFlowBuilder FlowSample(uint samplingRate, uint input, uint output, uint sequence, uint sourceIndex, params SFlowRecordBytes[] records)
    {
        var w = new XdrWriter();
        w.U32(sequence);
        w.U32(sourceIndex & 0x00FF_FFFF); // source id type 0 (ifIndex)
        w.U32(samplingRate);
        w.U32(samplingRate * 100); // sample pool
        w.U32(0); // drops
        w.U32(input);
        w.U32(output);
        WriteRecords(w, records);
        return Sample(1, w.ToArray());
    }

    /// <summary>flow_sample_expanded (format 3): 32-bit source index and separate interface format words.</summary>
    public SFlowBuilder ExpandedFlowSample(uint samplingRate, uint inputFormat, uint input, uint outputFormat, uint output, params SFlowRecordBytes[] records)
    {
        var w = new XdrWriter();
        w.U32(7); // sequence
        w.U32(0); // source id type
        w.U32(input); // source id index
        w.U32(samplingRate);
        w.U32(samplingRate * 100);
        w.U32(0);
        w.U32(inputFormat);
        w.U32(input);
        w.U32(outputFormat);
        w.U32(output);
        WriteRecords(w, records);
        return Sample(3, w.ToArray());
    }

    /// <summary>counters_sample (format 2) or counters_sample_expanded (format 4).</summary>
    public SFlowBuilder CounterSample(bool expanded, params SFlowRecordBytes[] records)
    {
        var w = new XdrWriter();
        w.U32(42); // sequence
        if (expanded)
        {
            w.U32(0);
            w.U32(1);
        }
        else
        {
            w.U32(1);
        }

        WriteRecords(w, records);
        return Sample(expanded ? 4u : 2u, w.ToArray());
    }

    /// <summary>discarded_packet (format 5, sflow.org/sflow_drops.txt).</summary>
    public SFlowBuilder DiscardedPacket(uint reason, params SFlowRecordBytes[] records)
    {
        var w = new XdrWriter();
        w.U32(3); // sequence
        w.U32(0); // source id type
        w.U32(4); // source id index
        w.U32(0); // drops
        w.U32(4); // input
        w.U32(0); // output unknown
        w.U32(reason);
        WriteRecords(w, records);
        return Sample(5, w.ToArray());
    }

    /// <summary>Any sample, enterprise and format packed as the spec does (enterprise &lt;&lt; 12 | format).</summary>
    public SFlowBuilder Sample(uint dataFormat, byte[] body)
    {
        _samples.Add((dataFormat, body));
        return this;
    }

    public byte[] Build()
    {
        var w = new XdrWriter();
        w.U32(5);
        if (_agent is null)
        {
            w.U32(_agentTypeOverride == uint.MaxValue ? 0 : _agentTypeOverride);
        }
        else
        {
            var bytes = _agent.GetAddressBytes();
            w.U32(_agentTypeOverride != uint.MaxValue ? _agentTypeOverride : bytes.Length == 4 ? 1u : 2u);
            w.Bytes(bytes);
        }

        w.U32(_subAgent);
        w.U32(_sequence);
        w.U32(_uptime);
        w.U32(_sampleCountOverride ?? (uint)_samples.Count);
        foreach (var (format, body) in _samples)
        {
            w.U32(format);
            w.Opaque(body);
        }

        return w.ToArray();
    }

    private static void WriteRecords(XdrWriter w, SFlowRecordBytes[] records)
    {
        w.U32((uint)records.Length);
        foreach (var r in records)
        {
            w.U32(r.Format);
            w.Opaque(r.Body);
        }
    }

    /// <summary>A flow or counter record: its format number and XDR body.</summary>
    public readonly record struct SFlowRecordBytes(uint Format, byte[] Body);

    /// <summary>sampled_header (flow format 1).</summary>
    public static SFlowRecordBytes SampledHeader(uint headerProtocol, uint frameLength, byte[] header, uint stripped = 4)
    {
        var w = new XdrWriter();
        w.U32(headerProtocol);
        w.U32(frameLength);
        w.U32(stripped);
        w.Opaque(header);
        return new SFlowRecordBytes(1, w.ToArray());
    }

    /// <summary>sampled_ipv4 (flow format 3).</summary>
    public static SFlowRecordBytes SampledIPv4(uint length, uint protocol, string src, string dst, uint srcPort, uint dstPort, uint tcpFlags, uint tos)
    {
        var w = new XdrWriter();
        w.U32(length);
        w.U32(protocol);
        w.Bytes(IPAddress.Parse(src).GetAddressBytes());
        w.Bytes(IPAddress.Parse(dst).GetAddressBytes());
        w.U32(srcPort);
        w.U32(dstPort);
        w.U32(tcpFlags);
        w.U32(tos);
        return new SFlowRecordBytes(3, w.ToArray());
    }

    /// <summary>sampled_ipv6 (flow format 4).</summary>
    public static SFlowRecordBytes SampledIPv6(uint length, uint protocol, string src, string dst, uint srcPort, uint dstPort, uint tcpFlags, uint priority)
    {
        var w = new XdrWriter();
        w.U32(length);
        w.U32(protocol);
        w.Bytes(IPAddress.Parse(src).GetAddressBytes());
        w.Bytes(IPAddress.Parse(dst).GetAddressBytes());
        w.U32(srcPort);
        w.U32(dstPort);
        w.U32(tcpFlags);
        w.U32(priority);
        return new SFlowRecordBytes(4, w.ToArray());
    }

    /// <summary>extended_switch (flow format 1001).</summary>
    public static SFlowRecordBytes ExtendedSwitch(uint srcVlan, uint srcPriority, uint dstVlan, uint dstPriority)
    {
        var w = new XdrWriter();
        w.U32(srcVlan);
        w.U32(srcPriority);
        w.U32(dstVlan);
        w.U32(dstPriority);
        return new SFlowRecordBytes(1001, w.ToArray());
    }

    /// <summary>extended_router (flow format 1002).</summary>
    public static SFlowRecordBytes ExtendedRouter(string nextHop, uint srcMask, uint dstMask)
    {
        var w = new XdrWriter();
        w.Address(nextHop);
        w.U32(srcMask);
        w.U32(dstMask);
        return new SFlowRecordBytes(1002, w.ToArray());
    }

    /// <summary>extended_gateway (flow format 1003) with one AS_SEQUENCE segment holding <paramref name="asPath"/>.</summary>
    public static SFlowRecordBytes ExtendedGateway(string nextHop, uint routerAs, uint srcAs, uint srcPeerAs, uint[] asPath, uint[]? communities = null)
    {
        var w = new XdrWriter();
        w.Address(nextHop);
        w.U32(routerAs);
        w.U32(srcAs);
        w.U32(srcPeerAs);
        if (asPath.Length == 0)
        {
            w.U32(0);
        }
        else
        {
            w.U32(1); // one segment
            w.U32(2); // AS_SEQUENCE
            w.U32((uint)asPath.Length);
            foreach (var a in asPath) w.U32(a);
        }

        communities ??= [];
        w.U32((uint)communities.Length);
        foreach (var c in communities) w.U32(c);
        w.U32(100); // local pref
        return new SFlowRecordBytes(1003, w.ToArray());
    }

    /// <summary>if_counters (counter format 1): the 88-byte generic interface counters.</summary>
    public static SFlowRecordBytes GenericInterfaceCounters(uint ifIndex, ulong speed, ulong inOctets, uint inUnicast, ulong outOctets, uint outUnicast,
        uint inErrors = 0, uint outDiscards = 0, uint status = 3)
    {
        var w = new XdrWriter();
        w.U32(ifIndex);
        w.U32(6); // ethernetCsmacd
        w.U64(speed);
        w.U32(1); // full duplex
        w.U32(status);
        w.U64(inOctets);
        w.U32(inUnicast);
        w.U32(10); // in multicast
        w.U32(20); // in broadcast
        w.U32(0); // in discards
        w.U32(inErrors);
        w.U32(0); // unknown protos
        w.U64(outOctets);
        w.U32(outUnicast);
        w.U32(30);
        w.U32(40);
        w.U32(outDiscards);
        w.U32(0);
        w.U32(2); // not promiscuous
        return new SFlowRecordBytes(1, w.ToArray());
    }

    /// <summary>ethernet_counters (counter format 2): 13 words, which the decoder skips.</summary>
    public static SFlowRecordBytes EthernetCounters()
    {
        var w = new XdrWriter();
        for (int i = 0; i < 13; i++) w.U32((uint)i);
        return new SFlowRecordBytes(2, w.ToArray());
    }
}

/// <summary>Big-endian XDR writer for test datagrams.</summary>
internal sealed class XdrWriter
{
    private readonly List<byte> _bytes = new();

    public int Length => _bytes.Count;

    public XdrWriter U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        _bytes.AddRange(b);
        return this;
    }

    public XdrWriter U64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        _bytes.AddRange(b);
        return this;
    }

    public XdrWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    /// <summary>Variable-length opaque: length word, bytes, zero padding to four bytes.</summary>
    public XdrWriter Opaque(ReadOnlySpan<byte> bytes)
    {
        U32((uint)bytes.Length);
        _bytes.AddRange(bytes);
        for (int i = bytes.Length; i % 4 != 0; i++) _bytes.Add(0);
        return this;
    }

    /// <summary>sFlow address union: type 1 + 4 bytes or type 2 + 16 bytes.</summary>
    public XdrWriter Address(string address)
    {
        var bytes = IPAddress.Parse(address).GetAddressBytes();
        U32(bytes.Length == 4 ? 1u : 2u);
        return Bytes(bytes);
    }

    public byte[] ToArray() => _bytes.ToArray();
}
