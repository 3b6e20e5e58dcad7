using static FlowActors.Protocols.Tests.Capture.PacketBuilder;
using static FlowActors.Protocols.Tests.SFlow.SFlowBuilder;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>Extended switch / router / gateway data and the sampled_ipv4/ipv6 records (sFlow v5 "Extended Flow Data").</summary>
public class SFlowExtendedDataTests
{
    private static SFlowRecordBytes Header(params (ushort, ushort)[] tags) =>
        SampledHeader(1, 590, Ethernet(0x0800, IPv4("10.0.0.1", "203.0.113.9", 6, Tcp(40000, 443, 0x10)), tags));

    private static FlowRecord Decode(params SFlowRecordBytes[] records)
    {
        using var h = new SFlowTestHarness();
        return h.DecodeSingle(new SFlowBuilder().FlowSample(1, 1, 2, records).Build());
    }

    [Fact]
    public void Extended_switch_gives_the_incoming_vlan_of_an_untagged_frame()
    {
        var r = Decode(Header(), ExtendedSwitch(srcVlan: 30, srcPriority: 0, dstVlan: 40, dstPriority: 0));

        Assert.Equal((ushort)30, r.Vlan);
    }

    [Fact]
    public void Extended_switch_vlan_wins_over_the_frame_tag_whatever_the_record_order()
    {
        var before = Decode(ExtendedSwitch(30, 0, 30, 0), Header((0x8100, 99)));
        var after = Decode(Header((0x8100, 99)), ExtendedSwitch(30, 0, 30, 0));

        Assert.Equal((ushort)30, before.Vlan);
        Assert.Equal((ushort)30, after.Vlan);
    }

    [Fact]
    public void Extended_switch_with_no_source_vlan_uses_the_destination_vlan()
    {
        var r = Decode(Header(), ExtendedSwitch(0, 0, 55, 0));

        Assert.Equal((ushort)55, r.Vlan);
    }

    [Fact]
    public void Extended_router_gives_next_hop_and_prefix_lengths()
    {
        var r = Decode(Header(), ExtendedRouter("10.255.0.1", srcMask: 24, dstMask: 16));

        Assert.True(r.Has(FlowFields.NextHop | FlowFields.Masks));
        Assert.Equal(FlowAddress.Parse("10.255.0.1"), r.NextHop);
        Assert.Equal((byte)24, r.SrcMask);
        Assert.Equal((byte)16, r.DstMask);
    }

    [Fact]
    public void Extended_router_with_ipv6_next_hop()
    {
        var r = Decode(Header(), ExtendedRouter("2001:db8::fe", 64, 48));

        Assert.Equal(FlowAddress.Parse("2001:db8::fe"), r.NextHop);
    }

    [Fact]
    public void Extended_gateway_gives_source_as_and_the_last_as_of_the_destination_path()
    {
        var r = Decode(Header(), ExtendedGateway("192.0.2.254", routerAs: 64500, srcAs: 64501, srcPeerAs: 64502, asPath: [3356, 1299, 15169], communities: [0xFDE8_0001]));

        Assert.True(r.Has(FlowFields.AsNumbers));
        Assert.Equal(64501u, r.SrcAs);
        Assert.Equal(15169u, r.DstAs);
    }

    [Fact]
    public void Extended_gateway_with_empty_path_and_zero_source_as_reports_the_routers_own_as()
    {
        // Empty dst_as_path / src_as 0: the address is inside the router's AS.
        var r = Decode(Header(), ExtendedGateway("192.0.2.254", routerAs: 64500, srcAs: 0, srcPeerAs: 0, asPath: []));

        Assert.Equal(64500u, r.SrcAs);
        Assert.Equal(64500u, r.DstAs);
    }

    [Fact]
    public void Bgp_next_hop_is_used_only_when_no_router_next_hop_is_given()
    {
        var bgpOnly = Decode(Header(), ExtendedGateway("192.0.2.254", 1, 2, 3, [4]));
        var both = Decode(Header(), ExtendedGateway("192.0.2.254", 1, 2, 3, [4]), ExtendedRouter("10.255.0.1", 24, 24));

        Assert.Equal(FlowAddress.Parse("192.0.2.254"), bgpOnly.NextHop);
        Assert.Equal(FlowAddress.Parse("10.255.0.1"), both.NextHop);
    }

    [Fact]
    public void Sampled_ipv4_record_stands_in_for_a_missing_header()
    {
        var r = Decode(SampledIPv4(length: 1200, protocol: 6, "172.16.0.1", "172.16.0.2", 3306, 55555, tcpFlags: 0x12, tos: 0x10));

        Assert.Equal(FlowAddress.Parse("172.16.0.1"), r.SrcAddr);
        Assert.Equal((ushort)3306, r.SrcPort);
        Assert.Equal((ushort)0x12, r.TcpFlags);
        Assert.Equal((byte)0x10, r.Tos);
        Assert.Equal(1200UL, r.Bytes);
    }

    [Fact]
    public void Sampled_ipv6_record_stands_in_for_a_missing_header()
    {
        var r = Decode(SampledIPv6(length: 80, protocol: 17, "2001:db8::1", "2001:db8::2", 5353, 5353, 0, priority: 0));

        Assert.Equal(FlowAddress.Parse("2001:db8::2"), r.DstAddr);
        Assert.Equal((ushort)5353, r.DstPort);
        Assert.False(r.Has(FlowFields.TcpFlags));
        Assert.Equal(80UL, r.Bytes);
    }

    [Fact]
    public void Raw_header_wins_over_a_sampled_ipv4_record_in_the_same_sample()
    {
        var r = Decode(Header(), SampledIPv4(1, 17, "1.1.1.1", "2.2.2.2", 1, 2, 0, 0));

        Assert.Equal(FlowAddress.Parse("10.0.0.1"), r.SrcAddr);
        Assert.Equal((byte)6, r.Protocol);
    }
}
