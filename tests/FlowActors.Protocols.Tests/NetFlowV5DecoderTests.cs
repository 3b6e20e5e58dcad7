using FlowActors.Protocols.Tests.Encoding;
using static FlowActors.Protocols.Tests.DecodeHelper;

namespace FlowActors.Protocols.Tests;

/// <summary>NetFlow v5 decoding (Cisco's fixed 24-byte header and 48-byte records).</summary>
public sealed class NetFlowV5DecoderTests
{
    [Fact]
    public void Every_field_of_a_record_is_decoded()
    {
        var datagram = new NetFlowV5Builder { SysUpTime = 3_600_000, UnixSecs = 1_795_883_420, UnixNsecs = 175_009_000, EngineType = 1, EngineId = 2 }
            .Add(new NetFlowV5Record
            {
                Src = "10.99.1.20", Dst = "10.99.0.12", NextHop = "10.99.0.1", Input = 3, Output = 4, Packets = 12, Bytes = 3_400,
                First = 3_590_000, Last = 3_599_500, SrcPort = 43_210, DstPort = 80, TcpFlags = 0x1B, Protocol = 6, Tos = 0x10,
                SrcAs = 64_512, DstAs = 15_169, SrcMask = 24, DstMask = 16,
            })
            .Build();

        var r = Single(new FlowDecoder(), datagram);

        Assert.Equal(5, r.Version);
        Assert.Equal(0x0102u, r.ObservationDomain);
        Assert.Equal("10.99.1.20", r.SrcAddr.ToString());
        Assert.Equal("10.99.0.12", r.DstAddr.ToString());
        Assert.Equal("10.99.0.1", r.NextHop.ToString());
        Assert.Equal(3u, r.InputInterface);
        Assert.Equal(4u, r.OutputInterface);
        Assert.Equal(12UL, r.Packets);
        Assert.Equal(3_400UL, r.Bytes);
        // unix_secs.unix_nsecs 1,795,883,420.175 minus (sysUpTime 3,600,000 − first 3,590,000) ms.
        Assert.Equal(1_795_883_410_175, r.StartMs);
        Assert.Equal(1_795_883_419_675, r.EndMs);
        Assert.Equal(43_210, r.SrcPort);
        Assert.Equal(80, r.DstPort);
        Assert.Equal(0x1B, r.TcpFlags);
        Assert.Equal(6, r.Protocol);
        Assert.Equal(0x10, r.Tos);
        Assert.Equal(64_512u, r.SrcAs);
        Assert.Equal(15_169u, r.DstAs);
        Assert.Equal(24, r.SrcMask);
        Assert.Equal(16, r.DstMask);
        Assert.Equal(1u, r.SamplingRate);
        Assert.False(r.Has(FlowFields.Icmp));
    }

    [Fact]
    public void Sampling_interval_comes_from_the_low_14_bits_of_the_header_field()
    {
        // Top 2 bits: sampling mode (01 = deterministic); low 14 bits: the interval, here 1 in 64.
        var datagram = new NetFlowV5Builder { Sampling = 0x4000 | 64 }.Add(new NetFlowV5Record { Packets = 2, Bytes = 100 }).Build();

        var r = Single(new FlowDecoder(), datagram);

        Assert.Equal(64u, r.SamplingRate);
        Assert.Equal(128UL, r.PacketsScaled);
        Assert.Equal(6_400UL, r.BytesScaled);
        Assert.Equal(2UL, r.Packets);
    }

    [Fact]
    public void Icmp_type_and_code_are_read_from_the_destination_port()
    {
        var datagram = new NetFlowV5Builder().Add(new NetFlowV5Record { Protocol = 1, DstPort = 0x0B01 }).Build();

        var r = Single(new FlowDecoder(), datagram);

        Assert.True(r.Has(FlowFields.Icmp));
        Assert.Equal(11, r.IcmpType);
        Assert.Equal(1, r.IcmpCode);
        Assert.Equal(0x0B01, r.DstPort);
    }

    [Fact]
    public void Count_beyond_the_datagram_decodes_what_fits_and_reports_truncation()
    {
        var datagram = new NetFlowV5Builder { Count = 3 }.Add(new NetFlowV5Record()).Add(new NetFlowV5Record()).Build();

        var (result, records) = Run(new FlowDecoder(), datagram);

        Assert.Equal(DecodeError.Truncated, result.Error);
        Assert.Equal(2, records.Length);
    }

    [Fact]
    public void Count_of_zero_is_a_bad_length()
    {
        var (result, _) = Run(new FlowDecoder(), new NetFlowV5Builder { Count = 0 }.Build());

        Assert.Equal(DecodeError.BadLength, result.Error);
    }

    [Fact]
    public void Header_shorter_than_24_bytes_is_too_short()
    {
        var (result, _) = Run(new FlowDecoder(), new NetFlowV5Builder().Build()[..20]);

        Assert.Equal(DecodeError.TooShort, result.Error);
    }

    [Fact]
    public void Sequence_numbers_count_flows()
    {
        var decoder = new FlowDecoder();
        Run(decoder, new NetFlowV5Builder { Sequence = 0 }.Add(new NetFlowV5Record()).Add(new NetFlowV5Record()).Build());
        Run(decoder, new NetFlowV5Builder { Sequence = 2 }.Add(new NetFlowV5Record()).Build());
        Run(decoder, new NetFlowV5Builder { Sequence = 10 }.Add(new NetFlowV5Record()).Build()); // 7 flows lost

        var stream = decoder.Sequences.Streams[new SequenceStreamKey(Exporter, 5, 0)];
        Assert.Equal(1, stream.Gaps);
        Assert.Equal(7, stream.Lost);
        Assert.Equal(11u, stream.Expected);
    }
}
