using FlowActors.Protocols.SFlow;
using static FlowActors.Protocols.Tests.Capture.PacketBuilder;
using static FlowActors.Protocols.Tests.SFlow.SFlowBuilder;

namespace FlowActors.Protocols.Tests.SFlow;

public class SFlowV5DecoderTests
{
    private static SFlowRecordBytes EthernetTcp() =>
        SampledHeader(1, 1518, Ethernet(0x0800, IPv4("10.1.0.5", "10.2.0.7", 6, Tcp(51000, 443, 0x18, payloadLength: 40), tos: 0x28, totalLength: 1500)));

    [Fact]
    public void Flow_sample_becomes_one_record_of_one_packet_with_the_samples_rate_interfaces_and_agent()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder(agent: "192.0.2.1", subAgent: 3).FlowSample(samplingRate: 2048, input: 7, output: 9, EthernetTcp()).Build();

        var r = h.DecodeSingle(datagram);

        Assert.Equal(FlowRecord.SFlowVersion, r.Version);
        Assert.Equal(FlowAddress.Parse("192.0.2.1"), r.Exporter); // the agent, not the UDP source 198.51.100.9
        Assert.Equal(3u, r.ObservationDomain);
        Assert.Equal(FlowAddress.Parse("10.1.0.5"), r.SrcAddr);
        Assert.Equal(FlowAddress.Parse("10.2.0.7"), r.DstAddr);
        Assert.Equal((ushort)51000, r.SrcPort);
        Assert.Equal((ushort)443, r.DstPort);
        Assert.Equal((byte)6, r.Protocol);
        Assert.Equal((ushort)0x18, r.TcpFlags);
        Assert.Equal((byte)0x28, r.Tos);
        Assert.Equal(1UL, r.Packets);
        Assert.Equal(1500UL, r.Bytes); // IP total length, not the 1518-byte frame
        Assert.Equal(2048u, r.SamplingRate);
        Assert.Equal(2048UL, r.PacketsScaled);
        Assert.Equal(3_072_000UL, r.BytesScaled);
        Assert.Equal(7u, r.InputInterface);
        Assert.Equal(9u, r.OutputInterface);
        Assert.Equal(SFlowTestHarness.ReceivedAt, r.StartMs); // sFlow has no flow times
        Assert.Equal(SFlowTestHarness.ReceivedAt, r.EndMs);
        Assert.Equal(FlowFields.Times | FlowFields.Ports | FlowFields.TcpFlags | FlowFields.Tos | FlowFields.InputInterface | FlowFields.OutputInterface, r.Present);
    }

    [Fact]
    public void Each_flow_sample_in_a_datagram_is_one_record_in_order()
    {
        using var h = new SFlowTestHarness();
        var b = new SFlowBuilder();
        for (uint i = 0; i < 5; i++)
        {
            b.FlowSample(1000, 1, 2, SampledHeader(1, 100, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 17, Udp((ushort)(1000 + i), 53, new byte[12])))));
        }

        var result = h.Decode(b.Build());

        Assert.Equal(new DecodeResult(DecodeError.None, FlowRecord.SFlowVersion, 5), result);
        Assert.Equal(new ushort[] { 1000, 1001, 1002, 1003, 1004 }, h.Output.Records.ToArray().Select(r => r.SrcPort));
        Assert.Equal(5, h.Decoder.Stats.FlowSamples);
    }

    [Fact]
    public void Expanded_flow_sample_reads_32_bit_interface_indexes()
    {
        // flow_sample_expanded exists for ifIndex values that do not fit the compact form's 30 bits.
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder().ExpandedFlowSample(400, 0, 0x4000_0001, 0, 0x8000_0002, EthernetTcp()).Build();

        var r = h.DecodeSingle(datagram);

        Assert.Equal(0x4000_0001u, r.InputInterface);
        Assert.Equal(0x8000_0002u, r.OutputInterface);
        Assert.Equal(400u, r.SamplingRate);
    }

    [Fact]
    public void Compact_output_naming_several_interfaces_or_a_discard_leaves_output_interface_absent()
    {
        // sFlow v5 "Input/output port information": 2-bit format 1 = discarded (value = reason), 2 = multiple interfaces.
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder()
            .FlowSample(10, 5, (2u << 30) | 3, EthernetTcp())
            .FlowSample(10, 5, (1u << 30) | 258, EthernetTcp())
            .Build();

        h.Decode(datagram);

        Assert.All(h.Output.Records.ToArray(), r =>
        {
            Assert.False(r.Has(FlowFields.OutputInterface));
            Assert.Equal(0u, r.OutputInterface);
            Assert.Equal(5u, r.InputInterface);
        });
    }

    [Fact]
    public void Interface_zero_means_unknown_and_is_absent()
    {
        using var h = new SFlowTestHarness();
        var r = h.DecodeSingle(new SFlowBuilder().FlowSample(10, 0, 0, EthernetTcp()).Build());

        Assert.False(r.Has(FlowFields.InputInterface));
        Assert.False(r.Has(FlowFields.OutputInterface));
    }

    [Fact]
    public void Interface_0x3FFFFFFF_means_the_device_itself_and_is_absent()
    {
        // sFlow v5 "Input/output port information": the maximum value says there is no input (or output) interface,
        // e.g. a packet the agent's host sent or received itself (Host sFlow does this for local traffic).
        using var h = new SFlowTestHarness();
        var fromHost = h.DecodeSingle(new SFlowBuilder().FlowSample(1, 0x3FFF_FFFF, 3, EthernetTcp()).Build());
        h.Output.Clear();
        var expanded = h.DecodeSingle(new SFlowBuilder().ExpandedFlowSample(1, 0, 3, 0, 0x3FFF_FFFF, EthernetTcp()).Build());

        Assert.False(fromHost.Has(FlowFields.InputInterface));
        Assert.Equal(3u, fromHost.OutputInterface);
        Assert.Equal(3u, expanded.InputInterface);
        Assert.False(expanded.Has(FlowFields.OutputInterface));
    }

    [Fact]
    public void Sampling_rate_comes_from_each_sample()
    {
        using var h = new SFlowTestHarness();
        h.Decode(new SFlowBuilder().FlowSample(256, 1, 2, EthernetTcp()).FlowSample(4096, 3, 4, EthernetTcp()).Build());

        Assert.Equal(new uint[] { 256, 4096 }, h.Output.Records.ToArray().Select(r => r.SamplingRate));
    }

    [Fact]
    public void Configured_override_replaces_the_agents_sampling_rate()
    {
        var agent = FlowAddress.Parse("192.0.2.1");
        var policy = new SamplingPolicy(exporterOverrides: new Dictionary<FlowAddress, uint> { [agent] = 100 });
        using var h = new SFlowTestHarness(policy);

        var r = h.DecodeSingle(new SFlowBuilder(agent: "192.0.2.1").FlowSample(2048, 1, 2, EthernetTcp()).Build());

        Assert.Equal(100u, r.SamplingRate);
    }

    [Fact]
    public void Rate_zero_from_the_agent_falls_back_to_the_policy_default()
    {
        using var h = new SFlowTestHarness(new SamplingPolicy(defaultRate: 64));

        var r = h.DecodeSingle(new SFlowBuilder().FlowSample(0, 1, 2, EthernetTcp()).Build());

        Assert.Equal(64u, r.SamplingRate);
    }

    [Fact]
    public void IPv6_agent_address_is_the_exporter()
    {
        using var h = new SFlowTestHarness();
        var r = h.DecodeSingle(new SFlowBuilder(agent: "2001:db8::1", subAgent: 1).FlowSample(1, 1, 2, EthernetTcp()).Build());

        Assert.Equal(FlowAddress.Parse("2001:db8::1"), r.Exporter);
    }

    [Fact]
    public void Agent_address_of_unknown_type_falls_back_to_the_datagram_source()
    {
        // address type 0 (UNKNOWN) carries no bytes.
        using var h = new SFlowTestHarness();
        var r = h.DecodeSingle(new SFlowBuilder(agent: null).FlowSample(1, 1, 2, EthernetTcp()).Build());

        Assert.Equal(SFlowTestHarness.UdpSource, r.Exporter);
    }

    [Fact]
    public void Sequence_numbers_count_datagrams_per_agent_and_sub_agent()
    {
        using var h = new SFlowTestHarness();
        var agent = FlowAddress.Parse("192.0.2.1");
        h.Decode(new SFlowBuilder(subAgent: 0, sequence: 10).FlowSample(1, 1, 2, EthernetTcp(), EthernetTcp()).Build());
        h.Decode(new SFlowBuilder(subAgent: 0, sequence: 11).FlowSample(1, 1, 2, EthernetTcp()).Build());
        h.Decode(new SFlowBuilder(subAgent: 0, sequence: 14).FlowSample(1, 1, 2, EthernetTcp()).Build()); // 12 and 13 lost
        h.Decode(new SFlowBuilder(subAgent: 1, sequence: 500).FlowSample(1, 1, 2, EthernetTcp()).Build()); // its own stream

        var main = h.Sequences.Streams[new SequenceStreamKey(agent, FlowRecord.SFlowVersion, 0)];
        Assert.Equal(3, main.Datagrams);
        Assert.Equal(3, main.Received);
        Assert.Equal(1, main.Gaps);
        Assert.Equal(2, main.Lost);
        Assert.Equal(15u, main.Expected);
        var other = h.Sequences.Streams[new SequenceStreamKey(agent, FlowRecord.SFlowVersion, 1)];
        Assert.Equal(0, other.Lost);
        Assert.Equal(501u, other.Expected);
    }

    [Fact]
    public void Discarded_packet_samples_are_counted_and_yield_no_records()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder()
            .DiscardedPacket(reason: 259, SampledHeader(1, 64, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 6, Tcp(1, 2, 2)))))
            .DiscardedPacket(reason: 1)
            .FlowSample(1, 1, 2, EthernetTcp())
            .Build();

        var result = h.Decode(datagram);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(1, result.Records);
        Assert.Equal(2, h.Decoder.Stats.DiscardedPacketSamples);
        Assert.True(h.Decoder.Agents.TryGet(FlowAddress.Parse("192.0.2.1"), out var agent));
        Assert.Equal(2, agent.DiscardedPacketSamples);
        Assert.Equal(1, agent.FlowSamples);
    }

    [Fact]
    public void Samples_of_another_enterprise_are_skipped_whole()
    {
        // Data format = enterprise << 12 | format; enterprise 4413 (Broadcom) format 1 is not ours.
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder()
            .Sample((4413u << 12) | 1, [1, 2, 3, 4, 5, 6, 7, 8])
            .FlowSample(1, 1, 2, EthernetTcp())
            .Build();

        var result = h.Decode(datagram);

        Assert.Equal(new DecodeResult(DecodeError.None, FlowRecord.SFlowVersion, 1), result);
        Assert.Equal(1, h.Decoder.Stats.UnknownSamples);
    }

    [Fact]
    public void Flow_records_of_another_enterprise_are_skipped_and_the_sample_still_decodes()
    {
        using var h = new SFlowTestHarness();
        var foreign = new SFlowRecordBytes((9u << 12) | 7, [0xDE, 0xAD, 0xBE]); // 3 bytes: padded to 4 on the wire
        var r = h.DecodeSingle(new SFlowBuilder().FlowSample(1, 1, 2, foreign, EthernetTcp()).Build());

        Assert.Equal((ushort)443, r.DstPort);
        Assert.Equal(1, h.Decoder.Stats.UnknownFlowRecords);
    }
}
