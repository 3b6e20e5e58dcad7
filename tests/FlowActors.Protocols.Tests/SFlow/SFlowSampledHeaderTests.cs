using static FlowActors.Protocols.Tests.Capture.PacketBuilder;
using static FlowActors.Protocols.Tests.SFlow.SFlowBuilder;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>sampled_header parsing: the raw first bytes of the sampled packet (sFlow v5 "Packet Header Data").</summary>
public class SFlowSampledHeaderTests
{
    private static FlowRecord DecodeHeader(uint headerProtocol, byte[] header, uint frameLength = 1000)
    {
        using var h = new SFlowTestHarness();
        return h.DecodeSingle(new SFlowBuilder().FlowSample(1, 1, 2, SampledHeader(headerProtocol, frameLength, header)).Build());
    }

    [Fact]
    public void Ethernet_ipv4_udp_gives_addresses_ports_and_ip_length()
    {
        var r = DecodeHeader(1, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.53", 17, Udp(40000, 53, new byte[30]))), frameLength: 76);

        Assert.Equal(FlowAddress.Parse("10.0.0.1"), r.SrcAddr);
        Assert.Equal(FlowAddress.Parse("10.0.0.53"), r.DstAddr);
        Assert.Equal((byte)17, r.Protocol);
        Assert.Equal((ushort)40000, r.SrcPort);
        Assert.Equal((ushort)53, r.DstPort);
        Assert.Equal(58UL, r.Bytes); // 20 IP + 8 UDP + 30
        Assert.False(r.Has(FlowFields.TcpFlags));
    }

    [Fact]
    public void Single_802_1Q_tag_gives_the_vlan()
    {
        var r = DecodeHeader(1, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 6, Tcp(1, 22, 0x02)), (0x8100, 120)));

        Assert.True(r.Has(FlowFields.Vlan));
        Assert.Equal((ushort)120, r.Vlan);
        Assert.Equal((ushort)22, r.DstPort);
    }

    [Fact]
    public void QinQ_reports_the_outer_service_tag_and_still_reaches_the_ip_header()
    {
        // 802.1ad: S-tag 0x88A8 outside, C-tag 0x8100 inside.
        var r = DecodeHeader(1, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 6, Tcp(1, 22, 0x02)), (0x88A8, 300), (0x8100, 42)));

        Assert.Equal((ushort)300, r.Vlan);
        Assert.Equal(FlowAddress.Parse("10.0.0.2"), r.DstAddr);
    }

    [Fact]
    public void Legacy_QinQ_tpid_0x9100_is_a_tag_too()
    {
        var r = DecodeHeader(1, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 17, Udp(5, 6, [])), (0x9100, 7), (0x8100, 8)));

        Assert.Equal((ushort)7, r.Vlan);
        Assert.Equal((ushort)6, r.DstPort);
    }

    [Fact]
    public void Ethernet_ipv6_tcp_gives_addresses_traffic_class_and_length()
    {
        var r = DecodeHeader(1, Ethernet(0x86DD, IPv6("2001:db8::1", "2001:db8::2", 6, Tcp(443, 50000, 0x11), trafficClass: 0xB8)));

        Assert.Equal(FlowAddress.Parse("2001:db8::1"), r.SrcAddr);
        Assert.Equal(FlowAddress.Parse("2001:db8::2"), r.DstAddr);
        Assert.Equal((byte)0xB8, r.Tos);
        Assert.Equal((ushort)443, r.SrcPort);
        Assert.Equal((ushort)0x11, r.TcpFlags);
        Assert.Equal(60UL, r.Bytes); // 40 + 20
    }

    [Fact]
    public void IPv6_hop_by_hop_routing_and_destination_options_are_walked_to_udp()
    {
        // RFC 8200 §4: extension headers chain through their Next Header fields.
        var udp = Udp(546, 547, new byte[4]);
        var chain = IPv6Extension(43, IPv6Extension(60, IPv6Extension(17, udp)));
        var r = DecodeHeader(1, Ethernet(0x86DD, IPv6("fe80::1", "ff02::1:2", 0, chain)));

        Assert.Equal((byte)17, r.Protocol);
        Assert.Equal((ushort)546, r.SrcPort);
        Assert.Equal((ushort)547, r.DstPort);
    }

    [Fact]
    public void IPv6_first_fragment_has_ports_and_later_fragments_do_not()
    {
        var first = DecodeHeader(12, IPv6("2001:db8::1", "2001:db8::2", 44, IPv6Fragment(17, 0, more: true, Udp(1000, 2000, new byte[8]))));
        var later = DecodeHeader(12, IPv6("2001:db8::1", "2001:db8::2", 44, IPv6Fragment(17, 100, more: false, new byte[16])));

        Assert.Equal((ushort)2000, first.DstPort);
        Assert.Equal((byte)17, later.Protocol);
        Assert.False(later.Has(FlowFields.Ports));
    }

    [Fact]
    public void IPv4_later_fragment_has_protocol_but_no_ports()
    {
        var r = DecodeHeader(11, IPv4("10.0.0.1", "10.0.0.2", 17, new byte[16], fragmentOffsetUnits: 185));

        Assert.Equal((byte)17, r.Protocol);
        Assert.False(r.Has(FlowFields.Ports));
        Assert.Equal(FlowAddress.Parse("10.0.0.2"), r.DstAddr);
    }

    [Fact]
    public void ICMP_echo_request_gives_type_and_code_and_no_ports()
    {
        var r = DecodeHeader(1, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 1, Icmp(8, 0))));

        Assert.True(r.Has(FlowFields.Icmp));
        Assert.Equal((byte)8, r.IcmpType);
        Assert.Equal((byte)0, r.IcmpCode);
        Assert.False(r.Has(FlowFields.Ports));
    }

    [Fact]
    public void ICMPv6_destination_unreachable_gives_type_and_code()
    {
        var r = DecodeHeader(1, Ethernet(0x86DD, IPv6("2001:db8::1", "2001:db8::2", 58, Icmp(1, 4))));

        Assert.Equal((byte)58, r.Protocol);
        Assert.Equal((byte)1, r.IcmpType);
        Assert.Equal((byte)4, r.IcmpCode);
    }

    [Fact]
    public void Raw_ipv4_header_protocol_has_no_link_layer()
    {
        // header_protocol 11 = IPv4: the header starts at the IP version nibble.
        var r = DecodeHeader(11, IPv4("192.168.1.1", "192.168.1.2", 6, Tcp(80, 1234, 0x10)));

        Assert.Equal(FlowAddress.Parse("192.168.1.1"), r.SrcAddr);
        Assert.Equal((ushort)80, r.SrcPort);
    }

    [Fact]
    public void Raw_ipv6_header_protocol_has_no_link_layer()
    {
        var r = DecodeHeader(12, IPv6("2001:db8::a", "2001:db8::b", 17, Udp(123, 123, new byte[48])));

        Assert.Equal(FlowAddress.Parse("2001:db8::b"), r.DstAddr);
        Assert.Equal((ushort)123, r.DstPort);
        Assert.Equal(96UL, r.Bytes);
    }

    [Fact]
    public void MPLS_label_stack_is_skipped_to_the_ip_header()
    {
        byte[] labels = [0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40]; // two labels, bottom-of-stack on the second
        var r = DecodeHeader(1, Ethernet(0x8847, [.. labels, .. IPv4("10.9.0.1", "10.9.0.2", 17, Udp(1, 2, []))]));

        Assert.Equal(FlowAddress.Parse("10.9.0.1"), r.SrcAddr);
        Assert.Equal((ushort)2, r.DstPort);
    }

    [Fact]
    public void Header_cut_inside_the_transport_header_keeps_addresses_without_ports()
    {
        // Agents truncate headers (128 bytes by default); here the IP header ends the sample.
        var full = Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 6, Tcp(1, 2, 0x02)));
        var r = DecodeHeader(1, full[..(14 + 20 + 2)], frameLength: 60);

        Assert.Equal(FlowAddress.Parse("10.0.0.2"), r.DstAddr);
        Assert.Equal((byte)6, r.Protocol);
        Assert.False(r.Has(FlowFields.Ports));
        Assert.Equal(40UL, r.Bytes); // IP total length from the header
    }

    [Fact]
    public void Tcp_header_cut_before_the_flags_keeps_the_ports()
    {
        var full = Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 6, Tcp(1111, 2222, 0x02)));
        var r = DecodeHeader(1, full[..(14 + 20 + 8)]);

        Assert.Equal((ushort)2222, r.DstPort);
        Assert.False(r.Has(FlowFields.TcpFlags));
    }

    [Fact]
    public void Non_ip_frame_counts_the_frame_length_and_has_no_addresses()
    {
        using var h = new SFlowTestHarness();
        var arp = Ethernet(0x0806, new byte[28]);
        var r = h.DecodeSingle(new SFlowBuilder().FlowSample(1, 1, 2, SampledHeader(1, 64, arp)).Build());

        Assert.Equal(64UL, r.Bytes);
        Assert.True(r.SrcAddr.IsNone);
        Assert.Equal(1, h.Decoder.Stats.HeadersWithoutIp);
    }

    [Fact]
    public void Header_whose_length_is_not_a_multiple_of_four_is_padded_before_the_next_record()
    {
        // XDR opaque<>: 3 bytes of padding follow a 61-byte header; the extended_switch after it must still be read.
        var header = Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 2, new byte[19])));
        Assert.Equal(61, header.Length);
        using var h = new SFlowTestHarness();
        var r = h.DecodeSingle(new SFlowBuilder().FlowSample(1, 1, 2, SampledHeader(1, 65, header), ExtendedSwitch(77, 0, 77, 0)).Build());

        Assert.Equal((ushort)77, r.Vlan);
        Assert.Equal((ushort)2, r.DstPort);
    }
}
