using System.Buffers.Binary;
using FlowActors.Protocols.SFlow;
using static FlowActors.Protocols.Tests.Capture.PacketBuilder;
using static FlowActors.Protocols.Tests.SFlow.SFlowBuilder;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>Bad input returns an error kind; nothing throws, loops or allocates without bound.</summary>
public class SFlowMalformedInputTests
{
    private static SFlowRecordBytes Tcp443() => SampledHeader(1, 100, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 6, Tcp(1, 443, 2))));

    [Fact]
    public void Version_other_than_5_is_unknown_version()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder().FlowSample(1, 1, 2, Tcp443()).Build();
        BinaryPrimitives.WriteUInt32BigEndian(datagram, 4); // sFlow v4

        Assert.Equal(DecodeError.UnknownVersion, h.Decode(datagram).Error);
        Assert.Equal(0, h.Output.Count);
    }

    [Fact]
    public void Datagram_shorter_than_a_header_is_too_short()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder().Build()[..20];

        Assert.Equal(new DecodeResult(DecodeError.TooShort, FlowRecord.SFlowVersion, 0), h.Decode(datagram));
        Assert.Equal(DecodeError.TooShort, h.Decode([0, 0]).Error);
    }

    [Fact]
    public void Undefined_agent_address_type_is_a_bad_sample()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder().WithAgentAddressType(3).FlowSample(1, 1, 2, Tcp443()).Build();

        Assert.Equal(DecodeError.BadSample, h.Decode(datagram).Error);
    }

    [Fact]
    public void IPv6_agent_header_cut_short_is_truncated()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder(agent: "2001:db8::1").Build()[..30];

        Assert.Equal(DecodeError.Truncated, h.Decode(datagram).Error);
    }

    [Fact]
    public void Malformed_sample_is_dropped_and_the_next_sample_still_decodes()
    {
        // The extended_router record claims an address type 9: that sample is bad, its neighbours are fine.
        using var h = new SFlowTestHarness();
        var badRouter = new SFlowRecordBytes(1002, new XdrWriter().U32(9).U32(0).U32(0).ToArray());
        var datagram = new SFlowBuilder()
            .FlowSample(1, 1, 2, Tcp443())
            .FlowSample(1, 1, 2, Tcp443(), badRouter)
            .FlowSample(1, 1, 2, Tcp443())
            .Build();

        var result = h.Decode(datagram);

        Assert.Equal(DecodeError.BadSample, result.Error);
        Assert.Equal(2, result.Records);
        Assert.Equal(2, h.Output.Count);
        Assert.Equal(1, h.Decoder.Stats.BadSamples);
    }

    [Fact]
    public void Fewer_samples_than_announced_keeps_the_decoded_ones_and_reports_truncation()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder().WithSampleCount(3).FlowSample(1, 1, 2, Tcp443()).Build();

        var result = h.Decode(datagram);

        Assert.Equal(new DecodeResult(DecodeError.Truncated, FlowRecord.SFlowVersion, 1), result);
    }

    [Fact]
    public void Sample_length_past_the_end_of_the_datagram_is_truncated()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder().FlowSample(1, 1, 2, Tcp443()).Build();
        var cut = datagram[..^8];

        var result = h.Decode(cut);

        Assert.Equal(DecodeError.Truncated, result.Error);
        Assert.Equal(0, h.Output.Count);
    }

    [Fact]
    public void Sample_count_of_four_billion_ends_at_the_datagram_end()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder().WithSampleCount(uint.MaxValue).FlowSample(1, 1, 2, Tcp443()).Build();

        var result = h.Decode(datagram);

        Assert.Equal(DecodeError.Truncated, result.Error);
        Assert.Equal(1, result.Records);
    }

    [Fact]
    public void Record_count_of_four_billion_inside_a_sample_makes_it_bad_not_slow()
    {
        using var h = new SFlowTestHarness();
        var body = new XdrWriter().U32(1).U32(1).U32(1).U32(100).U32(0).U32(1).U32(2).U32(uint.MaxValue).ToArray();
        var result = h.Decode(new SFlowBuilder().Sample(1, body).Build());

        Assert.Equal(new DecodeResult(DecodeError.BadSample, FlowRecord.SFlowVersion, 0), result);
    }

    [Fact]
    public void Header_opaque_length_of_0xFFFFFFFF_is_a_bad_sample()
    {
        using var h = new SFlowTestHarness();
        var record = new SFlowRecordBytes(1, new XdrWriter().U32(1).U32(64).U32(4).U32(uint.MaxValue).ToArray());
        var result = h.Decode(new SFlowBuilder().FlowSample(1, 1, 2, record).Build());

        Assert.Equal(DecodeError.BadSample, result.Error);
    }

    [Fact]
    public void As_path_segment_claiming_more_ases_than_bytes_is_a_bad_sample()
    {
        using var h = new SFlowTestHarness();
        var gateway = new XdrWriter().Address("192.0.2.1").U32(1).U32(2).U32(3).U32(1).U32(2).U32(1_000_000).U32(5).ToArray();
        var result = h.Decode(new SFlowBuilder().FlowSample(1, 1, 2, Tcp443(), new SFlowRecordBytes(1003, gateway)).Build());

        Assert.Equal(DecodeError.BadSample, result.Error);
        Assert.Equal(0, h.Output.Count);
    }

    [Fact]
    public void Full_output_buffer_stops_with_output_full()
    {
        using var h = new SFlowTestHarness(outputCapacity: 16);
        var builder = new SFlowBuilder();
        for (int i = 0; i < 17; i++) builder.FlowSample(1, 1, 2, Tcp443());

        var result = h.Decode(builder.Build());

        Assert.Equal(new DecodeResult(DecodeError.OutputFull, FlowRecord.SFlowVersion, 16), result);
        Assert.Equal(16, h.Output.Count);
        Assert.Equal(1, h.Output.Dropped);
    }
}
