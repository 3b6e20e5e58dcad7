using FlowActors.Protocols.Tests.Encoding;
using static FlowActors.Protocols.Tests.DecodeHelper;

namespace FlowActors.Protocols.Tests;

/// <summary>NetFlow v9 (RFC 3954) decoding, one quirk per test.</summary>
public sealed class NetFlowV9DecoderTests
{
    // A Cisco-like IPv4 template: src, dst, ports, protocol, flags, bytes, packets, first/last switched, interfaces, tos.
    private static readonly (ushort, ushort)[] V4Template =
    [
        (8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (1, 4), (2, 4), (22, 4), (21, 4), (10, 2), (14, 2), (5, 1),
    ];

    private static byte[] V4Record(string src = "10.1.1.1", string dst = "10.2.2.2", ushort sport = 51000, ushort dport = 443,
        uint bytes = 1500, uint packets = 3, uint first = 3_590_000, uint last = 3_599_000) =>
        new RecordWriter().Ip(src).Ip(dst).U16(sport).U16(dport).U8(6).U8(0x1B).U32(bytes).U32(packets).U32(first).U32(last)
            .U16(7).U16(9).U8(0x28).ToArray();

    [Fact]
    public void Template_and_data_in_one_packet_decode_every_field()
    {
        var packet = new NetFlowV9Builder { SourceId = 42 }.Template(256, V4Template).Data(256, V4Record()).Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal(9, r.Version);
        Assert.Equal(Exporter, r.Exporter);
        Assert.Equal(42u, r.ObservationDomain);
        Assert.Equal("10.1.1.1", r.SrcAddr.ToString());
        Assert.Equal("10.2.2.2", r.DstAddr.ToString());
        Assert.Equal(51000, r.SrcPort);
        Assert.Equal(443, r.DstPort);
        Assert.Equal(6, r.Protocol);
        Assert.Equal(0x1B, r.TcpFlags);
        Assert.Equal(1500UL, r.Bytes);
        Assert.Equal(3UL, r.Packets);
        Assert.Equal(7u, r.InputInterface);
        Assert.Equal(9u, r.OutputInterface);
        Assert.Equal(0x28, r.Tos);
        Assert.Equal(1u, r.SamplingRate);
        // RFC 3954 §5.2: unix_secs 1,795,883,420 minus (sysUpTime 3,600,000 − first 3,590,000) ms.
        Assert.Equal(1_795_883_410_000, r.StartMs);
        Assert.Equal(1_795_883_419_000, r.EndMs);
        Assert.True(r.Has(FlowFields.Ports | FlowFields.TcpFlags | FlowFields.Times | FlowFields.InputInterface | FlowFields.OutputInterface | FlowFields.Tos));
        Assert.False(r.Has(FlowFields.Icmp));
    }

    [Fact]
    public void Several_flowsets_per_packet_are_all_decoded_in_order()
    {
        var packet = new NetFlowV9Builder()
            .Template(256, V4Template)
            .Template(257, (27, 16), (28, 16), (1, 4), (2, 4), (4, 1))
            .Data(256, V4Record(src: "10.0.0.1"))
            .Data(257, new RecordWriter().Ip("2001:db8::1").Ip("2001:db8::2").U32(100).U32(1).U8(17).ToArray())
            .Data(256, V4Record(src: "10.0.0.3"))
            .Build();

        var (result, records) = Run(new FlowDecoder(), packet);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(2, result.TemplatesLearned);
        Assert.Equal(["10.0.0.1", "2001:db8::1", "10.0.0.3"], records.Select(r => r.SrcAddr.ToString()));
    }

    [Fact]
    public void Data_before_template_in_the_same_packet_is_decoded_once_template_arrives()
    {
        // Cisco ASA and Juniper may put a data FlowSet ahead of the template it needs.
        var packet = new NetFlowV9Builder().Data(256, V4Record(bytes: 777)).Template(256, V4Template).Build();

        var (result, records) = Run(new FlowDecoder(), packet);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(1, result.RecordsHeld);
        Assert.Equal(1, result.RecordsReleased);
        Assert.Equal(777UL, Assert.Single(records).Bytes);
    }

    [Fact]
    public void Data_before_template_is_decoded_once_template_arrives()
    {
        var decoder = new FlowDecoder();
        var data = new NetFlowV9Builder { Sequence = 1 }
            .Data(256, new RecordWriter().Bytes(V4Record(bytes: 10)).Bytes(V4Record(bytes: 20)).ToArray(), recordCount: 2).Build();
        var template = new NetFlowV9Builder { Sequence = 2 }.Template(256, V4Template).Build();

        var first = Run(decoder, data);
        int heldBetween = decoder.HeldData.Count;
        var second = Run(decoder, template);

        Assert.Equal(0, first.Result.Records);
        Assert.Equal(1, first.Result.RecordsHeld);
        Assert.Equal(1, heldBetween);
        Assert.Equal(2, second.Result.RecordsReleased);
        Assert.Equal([10UL, 20UL], second.Records.Select(r => r.Bytes));
        Assert.Equal(0, decoder.HeldData.Count);
        Assert.Equal(2, decoder.Exporters.Get(Exporter)!.Released);
    }

    [Fact]
    public void Held_data_keeps_the_clock_of_the_packet_it_came_in()
    {
        var decoder = new FlowDecoder();
        var data = new NetFlowV9Builder { SysUpTime = 3_600_000, UnixSecs = 1_795_883_420 }.Data(256, V4Record(first: 3_590_000, last: 3_600_000)).Build();
        var template = new NetFlowV9Builder { SysUpTime = 3_660_000, UnixSecs = 1_795_883_480 }.Template(256, V4Template).Build();

        Run(decoder, data);
        var r = Assert.Single(Run(decoder, template).Records);

        Assert.Equal(1_795_883_410_000, r.StartMs);
        Assert.Equal(1_795_883_420_000, r.EndMs);
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)99)]
    public void Header_count_is_not_trusted(ushort count)
    {
        // softflowd counts data records only; others count templates too. FlowSet lengths are what counts.
        var packet = new NetFlowV9Builder { Count = count }.Template(256, V4Template)
            .Data(256, new RecordWriter().Bytes(V4Record()).Bytes(V4Record()).ToArray(), recordCount: 2).Build();

        var (result, records) = Run(new FlowDecoder(), packet);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(2, records.Length);
    }

    [Fact]
    public void Padding_after_the_last_record_of_a_flowset_is_ignored()
    {
        // RFC 3954 §5.3: a FlowSet may be padded to a 32-bit boundary. The record is 35 bytes; 1 byte of padding.
        var packet = new NetFlowV9Builder().Template(256, V4Template).Data(256, V4Record(), padding: 1).Build();

        var (result, records) = Run(new FlowDecoder(), packet);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Single(records);
    }

    [Fact]
    public void Padding_after_the_last_flowset_is_ignored()
    {
        var packet = new NetFlowV9Builder().Template(256, V4Template).Data(256, V4Record()).Raw(0, 0, 0).Build();

        var (result, records) = Run(new FlowDecoder(), packet);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Single(records);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    public void Counters_of_non_standard_length_decode_alike(int length)
    {
        // v9 exporters send IN_BYTES/IN_PKTS on 2, 4 or 8 bytes (RFC 3954 §8 "default length"; pmacct uses 8).
        var packet = new NetFlowV9Builder()
            .Template(300, (8, 4), (12, 4), (1, (ushort)length), (2, (ushort)length))
            .Data(300, new RecordWriter().Ip("10.0.0.1").Ip("10.0.0.2").Unsigned(200, length).Unsigned(5, length).ToArray())
            .Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal(200UL, r.Bytes);
        Assert.Equal(5UL, r.Packets);
    }

    [Fact]
    public void Eight_byte_counters_keep_values_above_four_gigabytes()
    {
        var packet = new NetFlowV9Builder().Template(300, (1, 8), (2, 8))
            .Data(300, new RecordWriter().U64(6_000_000_000).U64(4_500_000_000).ToArray()).Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal(6_000_000_000UL, r.Bytes);
        Assert.Equal(4_500_000_000UL, r.Packets);
    }

    [Fact]
    public void IPv4_and_IPv6_templates_decode_their_own_address_families()
    {
        var packet = new NetFlowV9Builder()
            .Template(256, (8, 4), (12, 4), (15, 4), (9, 1), (13, 1))
            .Template(257, (27, 16), (28, 16), (62, 16), (29, 1), (30, 1))
            .Data(256, new RecordWriter().Ip("192.168.1.10").Ip("8.8.8.8").Ip("192.168.1.1").U8(24).U8(0).ToArray())
            .Data(257, new RecordWriter().Ip("fd00::10").Ip("2001:4860:4860::8888").Ip("fe80::1").U8(64).U8(32).ToArray())
            .Build();

        var (_, records) = Run(new FlowDecoder(), packet);

        Assert.True(records[0].SrcAddr.IsV4);
        Assert.Equal("8.8.8.8", records[0].DstAddr.ToString());
        Assert.Equal("192.168.1.1", records[0].NextHop.ToString());
        Assert.Equal(24, records[0].SrcMask);
        Assert.True(records[1].SrcAddr.IsV6);
        Assert.Equal("2001:4860:4860::8888", records[1].DstAddr.ToString());
        Assert.Equal("fe80::1", records[1].NextHop.ToString());
        Assert.Equal(64, records[1].SrcMask);
        Assert.Equal(32, records[1].DstMask);
    }

    [Fact]
    public void Zero_length_fields_take_no_bytes()
    {
        // Some exporters list fields they do not fill with length 0.
        var packet = new NetFlowV9Builder().Template(256, (8, 4), (7, 0), (12, 4), (1, 0), (2, 4))
            .Data(256, new RecordWriter().Ip("10.0.0.1").Ip("10.0.0.2").U32(9).ToArray()).Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal("10.0.0.2", r.DstAddr.ToString());
        Assert.Equal(9UL, r.Packets);
        Assert.False(r.Has(FlowFields.Ports));
    }

    [Fact]
    public void Template_whose_records_have_no_bytes_is_rejected()
    {
        // A zero record length would let a data FlowSet hold infinitely many records.
        var packet = new NetFlowV9Builder().Template(256, (8, 0), (12, 0)).Build();

        var decoder = new FlowDecoder();
        var (result, _) = Run(decoder, packet);

        Assert.Equal(DecodeError.BadTemplate, result.Error);
        Assert.Equal(0, decoder.Templates.Count);
    }

    [Fact]
    public void Template_id_below_256_is_rejected()
    {
        var (result, _) = Run(new FlowDecoder(), new NetFlowV9Builder().Template(255, (8, 4)).Build());

        Assert.Equal(DecodeError.BadTemplate, result.Error);
    }

    [Fact]
    public void Flowset_length_past_the_end_of_the_packet_is_truncation()
    {
        var packet = new NetFlowV9Builder().Template(256, V4Template).Data(256, V4Record()).Build();
        var cut = packet.AsSpan(0, packet.Length - 5).ToArray();

        var (result, records) = Run(new FlowDecoder(), cut);

        Assert.Equal(DecodeError.Truncated, result.Error);
        Assert.Empty(records);
    }

    [Fact]
    public void Flowset_length_below_four_is_a_bad_length()
    {
        var packet = new NetFlowV9Builder().Raw(0x01, 0x00, 0x00, 0x02, 0, 0, 0, 0).Build();

        var (result, _) = Run(new FlowDecoder(), packet);

        Assert.Equal(DecodeError.BadLength, result.Error);
    }

    [Fact]
    public void Redefined_template_replaces_the_old_layout()
    {
        var decoder = new FlowDecoder();
        Run(decoder, new NetFlowV9Builder().Template(256, (1, 4)).Build());
        var r = Single(decoder, new NetFlowV9Builder().Template(256, (2, 4), (1, 4)).Data(256, new RecordWriter().U32(3).U32(300).ToArray()).Build());

        Assert.Equal(3UL, r.Packets);
        Assert.Equal(300UL, r.Bytes);
        Assert.Equal(1, decoder.Templates.Count);
        Assert.Equal(1, decoder.Templates.Replaced);
    }

    [Fact]
    public void Unchanged_template_refresh_is_not_counted_as_learned()
    {
        var decoder = new FlowDecoder();
        var packet = new NetFlowV9Builder().Template(256, V4Template).Build();

        var first = Run(decoder, packet);
        var second = Run(decoder, packet);

        Assert.Equal(1, first.Result.TemplatesLearned);
        Assert.Equal(0, second.Result.TemplatesLearned);
        Assert.Equal(1, decoder.Templates.Refreshed);
    }

    [Fact]
    public void Options_scope_fields_are_not_read_as_flow_fields_and_sampling_interval_applies_to_the_domain()
    {
        // RFC 3954 §6.1: scope type 1 is "System" — the same number as IN_BYTES, which it must not become.
        // Options field 34 SAMPLING_INTERVAL = 100 without a sampler id: the rate of every flow of this source id.
        var decoder = new FlowDecoder();
        var options = new NetFlowV9Builder { SourceId = 7 }
            .OptionsTemplate(260, [(1, 4)], [(34, 4), (35, 1)])
            .Data(260, new RecordWriter().U32(0xFFFFFFFF).U32(100).U8(2).ToArray(), padding: 3)
            .Build();
        var (optionsResult, optionsRecords) = Run(decoder, options);
        Assert.Equal(DecodeError.None, optionsResult.Error);
        Assert.Empty(optionsRecords);

        var r = Single(decoder, new NetFlowV9Builder { SourceId = 7 }.Template(256, V4Template).Data(256, V4Record(bytes: 1500, packets: 3)).Build());

        Assert.Equal(100u, r.SamplingRate);
        Assert.Equal(1500UL, r.Bytes);
        Assert.Equal(150_000UL, r.BytesScaled);
        Assert.Equal(300UL, r.PacketsScaled);
    }

    [Fact]
    public void Sampler_id_selects_the_rate_its_options_record_announced()
    {
        // Cisco: options with FLOW_SAMPLER_ID 48, FLOW_SAMPLER_MODE 49, FLOW_SAMPLER_RANDOM_INTERVAL 50, one per sampler;
        // each flow names its sampler in field 48.
        var decoder = new FlowDecoder();
        var options = new NetFlowV9Builder()
            .OptionsTemplate(260, [(1, 4)], [(48, 1), (49, 1), (50, 4)])
            .Data(260, new RecordWriter().U32(0).U8(1).U8(2).U32(10).U32(0).U8(2).U8(2).U32(1000).ToArray(), recordCount: 2)
            .Build();
        Run(decoder, options);

        var packet = new NetFlowV9Builder().Template(256, (8, 4), (2, 4), (48, 1))
            .Data(256, new RecordWriter().Ip("10.0.0.1").U32(1).U8(1).Ip("10.0.0.2").U32(1).U8(2).Ip("10.0.0.3").U32(1).U8(3).ToArray(), recordCount: 3)
            .Build();
        var (_, records) = Run(decoder, packet);

        Assert.Equal([10u, 1000u, 1u], records.Select(r => r.SamplingRate));
        Assert.Equal([1u, 2u, 3u], records.Select(r => r.SamplerId));
        Assert.True(records[0].Has(FlowFields.SamplerId));
    }

    [Fact]
    public void Samplers_beyond_the_per_domain_limit_push_out_the_oldest()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxSamplersPerDomain = 2 });
        var options = new RecordWriter();
        foreach (var (id, rate) in new (byte, uint)[] { (1, 10), (2, 20), (3, 30) }) options.U32(0).U8(id).U32(rate);
        Run(decoder, new NetFlowV9Builder().OptionsTemplate(260, [(1, 4)], [(48, 1), (50, 4)]).Data(260, options.ToArray(), recordCount: 3).Build());

        var (_, records) = Run(decoder, new NetFlowV9Builder().Template(256, (2, 4), (48, 1))
            .Data(256, new RecordWriter().U32(1).U8(1).U32(1).U8(2).U32(1).U8(3).ToArray(), recordCount: 3).Build());

        Assert.Equal([1u, 20u, 30u], records.Select(r => r.SamplingRate));
    }

    [Fact]
    public void Configured_override_beats_the_announced_rate()
    {
        var options = new FlowDecoderOptions { Sampling = new SamplingPolicy(exporterOverrides: new Dictionary<FlowAddress, uint> { [Exporter] = 512 }) };
        var decoder = new FlowDecoder(options);
        Run(decoder, new NetFlowV9Builder().OptionsTemplate(260, [(1, 4)], [(34, 4)]).Data(260, new RecordWriter().U32(0).U32(100).ToArray()).Build());

        var r = Single(decoder, new NetFlowV9Builder().Template(256, V4Template).Data(256, V4Record()).Build());

        Assert.Equal(512u, r.SamplingRate);
    }

    [Fact]
    public void Relative_times_survive_sysUpTime_wrap_around()
    {
        // sysUpTime wrapped 5 s ago (it counts ms in 32 bits, 49.7 days); the flow started 4,096 ms before the wrap.
        var packet = new NetFlowV9Builder { SysUpTime = 5_000, UnixSecs = 1_795_883_420 }
            .Template(256, (8, 4), (22, 4), (21, 4))
            .Data(256, new RecordWriter().Ip("10.0.0.1").U32(0xFFFF_F000).U32(1_000).ToArray())
            .Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal(1_795_883_420_000 - 5_000 - 4_096, r.StartMs);
        Assert.Equal(1_795_883_420_000 - 4_000, r.EndMs);
    }

    [Fact]
    public void Absolute_millisecond_times_are_used_as_sent()
    {
        // pmacct sends IPFIX IEs 152/153 even in NetFlow v9.
        var packet = new NetFlowV9Builder().Template(256, (153, 8), (152, 8), (1, 8))
            .Data(256, new RecordWriter().U64(1_795_883_405_287).U64(1_795_883_400_001).U64(64).ToArray()).Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal(1_795_883_400_001, r.StartMs);
        Assert.Equal(1_795_883_405_287, r.EndMs);
    }

    [Fact]
    public void Icmp_type_and_code_come_from_field_32_and_ports_stay_absent()
    {
        // softflowd template 1025 carries ICMP_TYPE (32) = type × 256 + code instead of ports.
        var packet = new NetFlowV9Builder().Template(1025, (8, 4), (12, 4), (32, 2), (4, 1))
            .Data(1025, new RecordWriter().Ip("10.0.0.1").Ip("10.0.0.2").U16(0x0303).U8(1).ToArray()).Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.True(r.Has(FlowFields.Icmp));
        Assert.Equal(3, r.IcmpType);
        Assert.Equal(3, r.IcmpCode);
        Assert.False(r.Has(FlowFields.Ports));
    }

    [Fact]
    public void Icmp_type_and_code_come_from_the_destination_port_when_field_32_is_absent()
    {
        // Cisco IOS convention (as in v5): source port 0, destination port = type × 256 + code.
        var packet = new NetFlowV9Builder().Template(256, (4, 1), (7, 2), (11, 2)).Data(256, new RecordWriter().U8(1).U16(0).U16(0x0800).ToArray()).Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.True(r.Has(FlowFields.Icmp));
        Assert.Equal(8, r.IcmpType);
        Assert.Equal(0, r.IcmpCode);
        Assert.Equal(0x0800, r.DstPort);
    }

    [Fact]
    public void Cisco_asa_teardown_record_spans_flow_create_time_to_event_time()
    {
        // NSEL flow-teardown: NF_F_FLOW_CREATE_TIME_MSEC (152) and NF_F_EVENT_TIME_MSEC (323).
        var packet = new NetFlowV9Builder().Template(263, (8, 4), (233, 1), (152, 8), (323, 8))
            .Data(263, new RecordWriter().Ip("10.1.0.5").U8(2).U64(1_795_883_400_000).U64(1_795_883_415_500).ToArray()).Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal(1_795_883_400_000, r.StartMs);
        Assert.Equal(1_795_883_415_500, r.EndMs);
    }

    [Fact]
    public void Icmp_field_on_a_tcp_flow_is_ignored()
    {
        var packet = new NetFlowV9Builder().Template(256, (32, 2), (4, 1)).Data(256, new RecordWriter().U16(0x0800).U8(6).ToArray()).Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.False(r.Has(FlowFields.Icmp));
        Assert.Equal(0, r.IcmpType);
    }

    [Fact]
    public void Routing_and_layer_2_fields_are_decoded()
    {
        var packet = new NetFlowV9Builder()
            .Template(256, (10, 4), (14, 4), (16, 4), (17, 2), (15, 4), (18, 4), (58, 2), (59, 2), (61, 1), (136, 1), (9, 1), (13, 1))
            .Data(256, new RecordWriter().U32(100_001).U32(100_002).U32(64_512).U16(15_169).Ip("10.0.0.254").Ip("10.9.9.9")
                .U16(42).U16(43).U8(1).U8(2).U8(24).U8(16).ToArray())
            .Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal(100_001u, r.InputInterface);
        Assert.Equal(100_002u, r.OutputInterface);
        Assert.Equal(64_512u, r.SrcAs);
        Assert.Equal(15_169u, r.DstAs);
        Assert.Equal("10.0.0.254", r.NextHop.ToString()); // IPV4_NEXT_HOP (15) wins over BGP_IPV4_NEXT_HOP (18)
        Assert.Equal(42, r.Vlan); // SRC_VLAN (58) wins over DST_VLAN (59)
        Assert.Equal(FlowDirection.Egress, r.Direction);
        Assert.Equal(2, r.FlowEndReason);
        Assert.Equal(24, r.SrcMask);
        Assert.Equal(16, r.DstMask);
        Assert.True(r.Has(FlowFields.AsNumbers | FlowFields.NextHop | FlowFields.Vlan | FlowFields.Direction | FlowFields.FlowEndReason | FlowFields.Masks));
    }

    [Fact]
    public void Out_counters_are_used_only_when_in_counters_are_absent()
    {
        var decoder = new FlowDecoder();
        var onlyOut = Single(decoder, new NetFlowV9Builder().Template(256, (23, 4), (24, 4)).Data(256, new RecordWriter().U32(900).U32(9).ToArray()).Build());
        var both = Single(decoder, new NetFlowV9Builder().Template(257, (23, 4), (24, 4), (1, 4), (2, 4))
            .Data(257, new RecordWriter().U32(900).U32(9).U32(100).U32(1).ToArray()).Build());

        Assert.Equal(900UL, onlyOut.Bytes);
        Assert.Equal(9UL, onlyOut.Packets);
        Assert.Equal(100UL, both.Bytes);
        Assert.Equal(1UL, both.Packets);
    }

    [Fact]
    public void Cisco_asa_nsel_record_uses_initiator_bytes_event_time_and_firewall_event()
    {
        // ASA NSEL: NF_F_CONN_ID 148, addresses, ports, protocol, NF_F_FW_EVENT 233, NF_F_FWD_FLOW_DELTA_BYTES 231,
        // NF_F_REV_FLOW_DELTA_BYTES 232, NF_F_XLATE_SRC/DST_ADDR_IPV4 40001/40002, NF_F_EVENT_TIME_MSEC 323.
        var packet = new NetFlowV9Builder()
            .Template(263, (148, 4), (8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (233, 1), (231, 4), (232, 4), (40001, 4), (40002, 4), (323, 8))
            .Data(263, new RecordWriter().U32(123_456).Ip("10.1.0.5").Ip("203.0.113.9").U16(50_000).U16(443).U8(6).U8(2)
                .U32(5_000).U32(70_000).Ip("198.51.100.1").Ip("203.0.113.9").U64(1_795_883_415_500).ToArray())
            .Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal(5_000UL, r.Bytes);
        Assert.Equal(2, r.FirewallEvent);
        Assert.True(r.Has(FlowFields.FirewallEvent));
        Assert.Equal(1_795_883_415_500, r.StartMs);
        Assert.Equal(1_795_883_415_500, r.EndMs);
        Assert.Equal("10.1.0.5", r.SrcAddr.ToString());
    }

    [Fact]
    public void Sequence_numbers_count_packets()
    {
        // RFC 3954 §5.1: the sequence number of v9 counts export packets, whatever they hold.
        var decoder = new FlowDecoder();
        foreach (uint seq in new uint[] { 10, 11, 13, 12 })
        {
            Run(decoder, new NetFlowV9Builder { Sequence = seq, SourceId = 3 }.Template(256, V4Template).Build());
        }

        var stream = decoder.Sequences.Streams[new SequenceStreamKey(Exporter, 9, 3)];
        Assert.Equal(1, stream.Gaps);
        Assert.Equal(1, stream.Reordered);
        Assert.Equal(0, stream.Lost);
        Assert.Equal(14u, stream.Expected);
    }

    [Fact]
    public void Exporters_that_count_records_instead_of_packets_show_no_loss()
    {
        // Some v9 exporters advance the sequence number by the records sent, as v5 does.
        var decoder = new FlowDecoder();
        Run(decoder, new NetFlowV9Builder { Sequence = 100 }.Template(256, V4Template)
            .Data(256, new RecordWriter().Bytes(V4Record()).Bytes(V4Record()).Bytes(V4Record()).ToArray(), recordCount: 3).Build());
        Run(decoder, new NetFlowV9Builder { Sequence = 103 }.Data(256, new RecordWriter().Bytes(V4Record()).Bytes(V4Record()).ToArray(), recordCount: 2).Build());
        Run(decoder, new NetFlowV9Builder { Sequence = 105 }.Data(256, V4Record()).Build());
        Run(decoder, new NetFlowV9Builder { Sequence = 110 }.Data(256, V4Record()).Build()); // 4 records lost

        var stream = decoder.Sequences.Streams[new SequenceStreamKey(Exporter, 9, 0)];
        Assert.Equal(1, stream.Gaps);
        Assert.Equal(4, stream.Lost);
        Assert.Equal(0, stream.Reordered);
        Assert.Equal(111u, stream.Expected);
    }

    [Fact]
    public void Data_without_template_is_counted_undecodable_when_holding_is_off()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { HeldDataMaxCount = 0 });

        var (result, _) = Run(decoder, new NetFlowV9Builder().Data(256, V4Record()).Build());

        Assert.Equal(DecodeError.MissingTemplate, result.Error);
        Assert.Equal(1, result.RecordsUndecodable);
        Assert.Equal(1, decoder.Exporters.Get(Exporter)!.Undecodable);
        Assert.Equal(1, decoder.Exporters.Get(Exporter)!.Errors(DecodeError.MissingTemplate));
    }

    [Fact]
    public void Templates_are_kept_apart_per_source_id()
    {
        var decoder = new FlowDecoder();
        Run(decoder, new NetFlowV9Builder { SourceId = 1 }.Template(256, V4Template).Build());

        var (result, records) = Run(decoder, new NetFlowV9Builder { SourceId = 2 }.Data(256, V4Record()).Build());

        Assert.Empty(records);
        Assert.Equal(1, result.RecordsHeld);
    }
}
