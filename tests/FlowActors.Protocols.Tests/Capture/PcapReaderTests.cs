using FlowActors.Protocols.Capture;
using static FlowActors.Protocols.Tests.Capture.PacketBuilder;

namespace FlowActors.Protocols.Tests.Capture;

public class PcapReaderTests
{
    // 2026-11-28T16:30:05Z
    private const uint Seconds = 1_795_883_405;
    private static readonly byte[] Payload = [0x00, 0x09, 0x00, 0x01, 0xAA, 0xBB, 0xCC];

    private static byte[] UdpV4(string src = "192.0.2.10", ushort dstPort = 2055) =>
        IPv4(src, "127.0.0.1", 17, Udp(40000, dstPort, Payload));

    private static List<(CapturedDatagram Datagram, byte[] Payload)> ReadAll(byte[] file, out PcapReader reader, ushort? port = null)
    {
        reader = new PcapReader(new MemoryStream(file)) { PortFilter = port };
        var list = new List<(CapturedDatagram, byte[])>();
        while (reader.TryReadNext(out var d))
        {
            list.Add((d, d.Payload.ToArray())); // the payload buffer is reused by the next read
        }

        return list;
    }

    [Fact]
    public void Pcap_microseconds_little_endian_ethernet_gives_payload_addresses_ports_and_time()
    {
        var file = CaptureFileBuilder.Pcap(linkType: 1).Record(Seconds, 123_456, Ethernet(0x0800, UdpV4())).ToArray();

        var all = ReadAll(file, out var reader);

        var (d, payload) = Assert.Single(all);
        Assert.Equal(Payload, payload);
        Assert.Equal(FlowAddress.Parse("192.0.2.10"), d.Source);
        Assert.Equal(FlowAddress.Parse("127.0.0.1"), d.Destination);
        Assert.Equal((ushort)40000, d.SourcePort);
        Assert.Equal((ushort)2055, d.DestinationPort);
        Assert.Equal(Seconds * 1_000_000L + 123_456, d.TimestampUs);
        Assert.Null(reader.Error);
        Assert.Equal(1, reader.Stats.Datagrams);
    }

    [Fact]
    public void Pcap_nanoseconds_big_endian_gives_microsecond_time()
    {
        // Magic 0xA1B23C4D written big-endian: a nanosecond capture from a big-endian machine.
        var file = CaptureFileBuilder.Pcap(linkType: 1, nanoseconds: true, bigEndian: true).Record(Seconds, 123_456_789, Ethernet(0x0800, UdpV4())).ToArray();

        var (d, payload) = Assert.Single(ReadAll(file, out var reader));

        Assert.Equal(Seconds * 1_000_000L + 123_456, d.TimestampUs);
        Assert.Equal(Payload, payload);
        Assert.Null(reader.Error);
    }

    [Fact]
    public void Pcap_microseconds_big_endian_is_read()
    {
        var file = CaptureFileBuilder.Pcap(linkType: 1, bigEndian: true).Record(Seconds, 7, Ethernet(0x0800, UdpV4())).ToArray();

        var (d, _) = Assert.Single(ReadAll(file, out _));

        Assert.Equal(Seconds * 1_000_000L + 7, d.TimestampUs);
    }

    [Fact]
    public void Pcapng_default_resolution_is_microseconds()
    {
        ulong ts = Seconds * 1_000_000UL + 250_000;
        var file = CaptureFileBuilder.Pcapng().Interface(1).EnhancedPacket(0, ts, Ethernet(0x0800, UdpV4())).ToArray();

        var (d, payload) = Assert.Single(ReadAll(file, out var reader));

        Assert.Equal((long)ts, d.TimestampUs);
        Assert.Equal(Payload, payload);
        Assert.Null(reader.Error);
    }

    [Fact]
    public void Pcapng_if_tsresol_nanoseconds_is_honoured()
    {
        // if_tsresol = 9: timestamps in 10^-9 s.
        ulong ts = Seconds * 1_000_000_000UL + 987_654_321;
        var file = CaptureFileBuilder.Pcapng().Interface(1, tsresol: 9).EnhancedPacket(0, ts, Ethernet(0x0800, UdpV4())).ToArray();

        var (d, _) = Assert.Single(ReadAll(file, out _));

        Assert.Equal(Seconds * 1_000_000L + 987_654, d.TimestampUs);
    }

    [Fact]
    public void Pcapng_if_tsresol_power_of_two_is_honoured()
    {
        // if_tsresol with the high bit set: 2^-10 s units (1024 per second). 1.5 s = 1536 units.
        var file = CaptureFileBuilder.Pcapng().Interface(1, tsresol: 0x8A).EnhancedPacket(0, 1536, Ethernet(0x0800, UdpV4())).ToArray();

        var (d, _) = Assert.Single(ReadAll(file, out _));

        Assert.Equal(1_500_000L, d.TimestampUs);
    }

    [Fact]
    public void Pcapng_big_endian_section_with_two_interfaces_and_skipped_blocks()
    {
        var file = CaptureFileBuilder.Pcapng(bigEndian: true)
            .Interface(1)
            .Interface(101) // raw IP
            .NameResolutionBlock()
            .EnhancedPacket(1, 10, UdpV4("192.0.2.20"))
            .EnhancedPacket(0, 20, Ethernet(0x0800, UdpV4("192.0.2.21")))
            .ToArray();

        var all = ReadAll(file, out var reader);

        Assert.Equal(new[] { "192.0.2.20", "192.0.2.21" }, all.Select(x => x.Datagram.Source.ToString()));
        Assert.Null(reader.Error);
    }

    [Fact]
    public void Pcapng_simple_packet_block_uses_interface_zero()
    {
        var file = CaptureFileBuilder.Pcapng().Interface(1).SimplePacket(Ethernet(0x0800, UdpV4())).ToArray();

        var (_, payload) = Assert.Single(ReadAll(file, out _));

        Assert.Equal(Payload, payload);
    }

    [Fact]
    public void Linux_cooked_v1_capture_is_read()
    {
        // SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol.
        byte[] sll = [0x00, 0x00, 0x03, 0x04, 0x00, 0x06, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        var file = CaptureFileBuilder.Pcap(linkType: 113).Record(Seconds, 0, [.. sll, .. UdpV4()]).ToArray();

        var (d, payload) = Assert.Single(ReadAll(file, out _));

        Assert.Equal(Payload, payload);
        Assert.Equal(FlowAddress.Parse("192.0.2.10"), d.Source);
    }

    [Fact]
    public void Linux_cooked_v2_capture_is_read()
    {
        // SLL2: protocol, reserved, ifindex, ARPHRD type, packet type, address length, 8 address bytes.
        byte[] sll2 = [0x86, 0xDD, 0, 0, 0, 0, 0, 1, 0x03, 0x04, 0x00, 6, 2, 0, 0, 0, 0, 1, 0, 0];
        var ipv6 = IPv6("2001:db8::10", "::1", 17, Udp(40000, 6343, Payload));
        var file = CaptureFileBuilder.Pcap(linkType: 276).Record(Seconds, 0, [.. sll2, .. ipv6]).ToArray();

        var (d, payload) = Assert.Single(ReadAll(file, out _));

        Assert.Equal(Payload, payload);
        Assert.Equal(FlowAddress.Parse("2001:db8::10"), d.Source);
        Assert.Equal((ushort)6343, d.DestinationPort);
    }

    [Theory]
    [InlineData(101)] // LINKTYPE_RAW
    [InlineData(12)]  // DLT_RAW on most systems
    [InlineData(228)] // LINKTYPE_IPV4
    public void Raw_ipv4_capture_is_read(uint linkType)
    {
        var file = CaptureFileBuilder.Pcap(linkType).Record(Seconds, 0, UdpV4()).ToArray();

        var (_, payload) = Assert.Single(ReadAll(file, out _));

        Assert.Equal(Payload, payload);
    }

    [Fact]
    public void Raw_ipv6_capture_is_read()
    {
        var file = CaptureFileBuilder.Pcap(229).Record(Seconds, 0, IPv6("2001:db8::1", "2001:db8::2", 17, Udp(1, 4739, Payload))).ToArray();

        var (d, _) = Assert.Single(ReadAll(file, out _));

        Assert.Equal((ushort)4739, d.DestinationPort);
    }

    [Fact]
    public void Vlan_tagged_ethernet_is_read_through_802_1Q_and_QinQ_tags()
    {
        var file = CaptureFileBuilder.Pcap(1)
            .Record(Seconds, 0, Ethernet(0x0800, UdpV4("192.0.2.30"), (0x8100, 10)))
            .Record(Seconds, 1, Ethernet(0x0800, UdpV4("192.0.2.31"), (0x88A8, 100), (0x8100, 10)))
            .ToArray();

        var all = ReadAll(file, out _);

        Assert.Equal(new[] { "192.0.2.30", "192.0.2.31" }, all.Select(x => x.Datagram.Source.ToString()));
    }

    [Fact]
    public void IPv6_udp_behind_a_destination_options_header_is_read()
    {
        var ipv6 = IPv6("2001:db8::1", "2001:db8::2", 60, IPv6Extension(17, Udp(1, 2055, Payload)));
        var file = CaptureFileBuilder.Pcap(1).Record(Seconds, 0, Ethernet(0x86DD, ipv6)).ToArray();

        var (d, payload) = Assert.Single(ReadAll(file, out _));

        Assert.Equal(Payload, payload);
        Assert.Equal(FlowAddress.Parse("2001:db8::1"), d.Source);
    }

    [Fact]
    public void Port_filter_keeps_only_datagrams_to_that_port()
    {
        var file = CaptureFileBuilder.Pcap(1)
            .Record(Seconds, 0, Ethernet(0x0800, UdpV4(dstPort: 2055)))
            .Record(Seconds, 1, Ethernet(0x0800, UdpV4(dstPort: 53)))
            .Record(Seconds, 2, Ethernet(0x0800, UdpV4(dstPort: 2055)))
            .ToArray();

        var all = ReadAll(file, out var reader, port: 2055);

        Assert.Equal(2, all.Count);
        Assert.Equal(3, reader.Stats.Packets);
    }

    [Fact]
    public void Tcp_arp_and_fragments_are_counted_not_returned()
    {
        var file = CaptureFileBuilder.Pcap(1)
            .Record(Seconds, 0, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 6, Tcp(1, 2, 2))))
            .Record(Seconds, 0, Ethernet(0x0806, new byte[28]))
            .Record(Seconds, 0, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 17, new byte[16], fragmentOffsetUnits: 10)))
            .Record(Seconds, 0, Ethernet(0x0800, UdpV4()))
            .ToArray();

        var all = ReadAll(file, out var reader);

        Assert.Single(all);
        Assert.Equal(2, reader.Stats.NotUdp);
        Assert.Equal(1, reader.Stats.Fragments);
    }

    [Fact]
    public void Truncated_record_body_ends_the_read_with_an_error_after_the_good_records()
    {
        var file = CaptureFileBuilder.Pcap(1)
            .Record(Seconds, 0, Ethernet(0x0800, UdpV4()))
            .Record(Seconds, 1, Ethernet(0x0800, UdpV4()))
            .ToArray();

        var all = ReadAll(file[..^10], out var reader);

        Assert.Single(all);
        Assert.Equal("pcap record body truncated", reader.Error);
    }

    [Fact]
    public void Truncated_record_header_is_an_error()
    {
        var file = CaptureFileBuilder.Pcap(1).Record(Seconds, 0, Ethernet(0x0800, UdpV4())).ToArray();
        var cut = file.Concat(new byte[7]).ToArray(); // a partial 16-byte record header

        var all = ReadAll(cut, out var reader);

        Assert.Single(all);
        Assert.Equal("pcap record header truncated", reader.Error);
    }

    [Fact]
    public void Truncated_global_header_is_an_error()
    {
        var file = CaptureFileBuilder.Pcap(1).ToArray()[..12];

        Assert.Empty(ReadAll(file, out var reader));
        Assert.Equal("pcap global header truncated", reader.Error);
    }

    [Fact]
    public void Empty_file_and_foreign_file_are_errors()
    {
        Assert.Empty(ReadAll([], out var empty));
        Assert.NotNull(empty.Error);
        Assert.Empty(ReadAll("hello, world"u8.ToArray(), out var text));
        Assert.StartsWith("not a pcap or pcapng file", text.Error);
    }

    [Fact]
    public void Record_length_beyond_the_frame_limit_is_an_error_not_an_allocation()
    {
        var file = CaptureFileBuilder.Pcap(1).ToArray()
            .Concat(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F })
            .ToArray();

        Assert.Empty(ReadAll(file, out var reader));
        Assert.Contains("exceeds", reader.Error);
    }

    [Fact]
    public void Truncated_pcapng_block_is_an_error()
    {
        var file = CaptureFileBuilder.Pcapng().Interface(1).EnhancedPacket(0, 1, Ethernet(0x0800, UdpV4())).ToArray();

        Assert.Empty(ReadAll(file[..^6], out var reader));
        Assert.Equal("pcapng block truncated", reader.Error);
    }

    [Fact]
    public void Pcapng_block_length_not_a_multiple_of_four_is_an_error()
    {
        var file = CaptureFileBuilder.Pcapng().Interface(1).ToArray();
        byte[] bad = [6, 0, 0, 0, 13, 0, 0, 0];

        Assert.Empty(ReadAll([.. file, .. bad], out var reader));
        Assert.Contains("pcapng block length 13 is invalid", reader.Error);
    }

    [Fact]
    public void Enhanced_packet_for_an_undeclared_interface_is_counted_as_malformed()
    {
        var file = CaptureFileBuilder.Pcapng().Interface(1)
            .EnhancedPacket(3, 1, Ethernet(0x0800, UdpV4()))
            .EnhancedPacket(0, 2, Ethernet(0x0800, UdpV4()))
            .ToArray();

        var all = ReadAll(file, out var reader);

        Assert.Single(all);
        Assert.Equal(1, reader.Stats.Malformed);
        Assert.Null(reader.Error);
    }
}
