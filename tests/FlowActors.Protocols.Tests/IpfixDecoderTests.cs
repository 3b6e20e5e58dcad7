using FlowActors.Protocols.Tests.Encoding;
using static FlowActors.Protocols.Tests.DecodeHelper;

namespace FlowActors.Protocols.Tests;

/// <summary>IPFIX (RFC 7011) decoding, one quirk per test.</summary>
public sealed class IpfixDecoderTests
{
    private static readonly IpfixField[] V4Template =
    [
        (8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (1, 8), (2, 8), (152, 8), (153, 8),
    ];

    private static byte[] V4Record(string src = "10.1.1.1", ulong bytes = 1500, ulong packets = 3) =>
        new RecordWriter().Ip(src).Ip("10.2.2.2").U16(51000).U16(443).U8(6).U8(0x12).U64(bytes).U64(packets)
            .U64(1_795_883_410_123).U64(1_795_883_419_456).ToArray();

    [Fact]
    public void Template_and_data_set_decode_every_field()
    {
        var message = new IpfixBuilder { DomainId = 5 }.Template(256, V4Template).Data(256, V4Record()).Build();

        var r = Single(new FlowDecoder(), message);

        Assert.Equal(10, r.Version);
        Assert.Equal(5u, r.ObservationDomain);
        Assert.Equal("10.1.1.1", r.SrcAddr.ToString());
        Assert.Equal(51000, r.SrcPort);
        Assert.Equal(443, r.DstPort);
        Assert.Equal(0x12, r.TcpFlags);
        Assert.Equal(1500UL, r.Bytes);
        Assert.Equal(3UL, r.Packets);
        Assert.Equal(1_795_883_410_123, r.StartMs);
        Assert.Equal(1_795_883_419_456, r.EndMs);
    }

    [Fact]
    public void Variable_length_fields_in_short_and_long_form_are_stepped_over()
    {
        // RFC 7011 §7: length 0xFFFF in the template; in the record 1 byte of length, or 255 and 2 bytes.
        var message = new IpfixBuilder()
            .Template(256, (8, 4), (82, IpfixField.Variable), (1, 4), (83, IpfixField.Variable), (2, 4))
            .Data(256, new RecordWriter()
                .Ip("10.0.0.1").VarLen("eth0"u8.ToArray()).U32(100).VarLen(new byte[300]).U32(1)
                .Ip("10.0.0.2").VarLen([]).U32(200).VarLen("x"u8.ToArray(), longForm: true).U32(2)
                .ToArray())
            .Build();

        var (result, records) = Run(new FlowDecoder(), message);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], records.Select(r => r.SrcAddr.ToString()));
        Assert.Equal([100UL, 200UL], records.Select(r => r.Bytes));
        Assert.Equal([1UL, 2UL], records.Select(r => r.Packets));
    }

    [Fact]
    public void Variable_length_field_running_past_the_set_drops_the_record()
    {
        var message = new IpfixBuilder()
            .Template(256, (8, 4), (82, IpfixField.Variable))
            .Data(256, new RecordWriter().Ip("10.0.0.1").U8(4).Bytes(1, 2, 3, 4).Ip("10.0.0.2").U8(200).Bytes(1, 2).ToArray())
            .Build();

        var (result, records) = Run(new FlowDecoder(), message);

        Assert.Equal(DecodeError.BadLength, result.Error);
        Assert.Equal("10.0.0.1", Assert.Single(records).SrcAddr.ToString());
    }

    [Fact]
    public void Enterprise_fields_are_skipped_by_their_length()
    {
        // RFC 7011 §3.2: the enterprise bit adds a 4-byte PEN to the specifier. Unknown vendor IEs (nProbe 35632, a
        // variable-length one from Cisco 9) and RFC 5103 reverse IEs (29305) carry nothing the record holds.
        var message = new IpfixBuilder()
            .Template(256, (8, 4), new IpfixField(1, 8, 29305), new IpfixField(57554, 4, 35632), (1, 4),
                new IpfixField(12235, IpfixField.Variable, 9), (2, 4))
            .Data(256, new RecordWriter().Ip("10.0.0.1").U64(999_999).U32(7).U32(640).VarLen("http"u8.ToArray()).U32(10).ToArray())
            .Build();

        var r = Single(new FlowDecoder(), message);

        Assert.Equal(640UL, r.Bytes);
        Assert.Equal(10UL, r.Packets);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Reduced_size_encoding_of_counters_is_accepted(int length)
    {
        // RFC 7011 §6.2: an unsigned64 may be sent on fewer bytes.
        var message = new IpfixBuilder().Template(256, (1, (ushort)length), (2, (ushort)length))
            .Data(256, new RecordWriter().Unsigned(250, length).Unsigned(2, length).ToArray()).Build();

        var r = Single(new FlowDecoder(), message);

        Assert.Equal(250UL, r.Bytes);
        Assert.Equal(2UL, r.Packets);
    }

    [Fact]
    public void Padding_after_the_last_record_of_a_set_is_ignored()
    {
        var message = new IpfixBuilder().Template(256, (8, 4), (1, 1)).Data(256, new RecordWriter().Ip("10.0.0.1").U8(1).ToArray(), padding: 3).Build();

        var (result, records) = Run(new FlowDecoder(), message);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Single(records);
    }

    [Fact]
    public void Withdrawn_template_is_forgotten()
    {
        var decoder = new FlowDecoder();
        Run(decoder, new IpfixBuilder().Template(256, V4Template).Template(257, (1, 4)).Build());

        Run(decoder, new IpfixBuilder().Withdraw(256).Build());

        Assert.Equal(1, decoder.Templates.Count);
        Assert.Equal(1, decoder.Templates.Withdrawn);
        var (result, records) = Run(decoder, new IpfixBuilder().Data(256, V4Record()).Build());
        Assert.Empty(records);
        Assert.Equal(1, result.RecordsHeld);
    }

    [Fact]
    public void Withdraw_all_forgets_every_template_of_the_domain_but_keeps_options_templates_and_other_domains()
    {
        // RFC 7011 §8.1: template id 2 with field count 0 in a template set withdraws all templates.
        var decoder = new FlowDecoder();
        Run(decoder, new IpfixBuilder { DomainId = 1 }.Template(256, V4Template).Template(257, (1, 4)).OptionsTemplate(258, 1, (149, 4), (160, 8)).Build());
        Run(decoder, new IpfixBuilder { DomainId = 2 }.Template(256, V4Template).Build());

        Run(decoder, new IpfixBuilder { DomainId = 1 }.WithdrawAll().Build());

        Assert.Equal(2, decoder.Templates.Count);
        Assert.False(decoder.Templates.Contains(new Templates.TemplateKey(Exporter, 10, 1, 256)));
        Assert.True(decoder.Templates.Contains(new Templates.TemplateKey(Exporter, 10, 1, 258)));
        Assert.True(decoder.Templates.Contains(new Templates.TemplateKey(Exporter, 10, 2, 256)));
    }

    [Fact]
    public void Withdraw_all_options_templates_forgets_only_options_templates()
    {
        var decoder = new FlowDecoder();
        Run(decoder, new IpfixBuilder().Template(256, V4Template).OptionsTemplate(258, 1, (149, 4), (160, 8)).Build());

        Run(decoder, new IpfixBuilder().WithdrawAll(options: true).Build());

        Assert.Equal(1, decoder.Templates.Count);
        Assert.True(decoder.Templates.Contains(new Templates.TemplateKey(Exporter, 10, 0, 256)));
    }

    [Theory]
    [InlineData((ushort)150, (ushort)151, 4)]
    [InlineData((ushort)152, (ushort)153, 8)]
    [InlineData((ushort)154, (ushort)155, 8)]
    [InlineData((ushort)156, (ushort)157, 8)]
    public void Absolute_times_in_seconds_milliseconds_microseconds_and_nanoseconds_decode_to_unix_ms(ushort startId, ushort endId, int length)
    {
        var w = new RecordWriter();
        foreach (long ms in new long[] { 1_795_883_410_000, 1_795_883_419_500 })
        {
            switch (startId)
            {
                case 150: w.U32((ulong)(ms / 1000)); break;
                case 152: w.U64((ulong)ms); break;
                default:
                    // RFC 7011 §6.1.9/10: NTP format, seconds since 1900 and a 2^-32 fraction.
                    w.U32((ulong)(ms / 1000 + 2_208_988_800)).U32((ulong)(ms % 1000 * (1L << 32) / 1000 + 1));
                    break;
            }
        }

        var message = new IpfixBuilder().Template(256, (startId, (ushort)length), (endId, (ushort)length)).Data(256, w.ToArray()).Build();

        var r = Single(new FlowDecoder(), message);

        Assert.Equal(1_795_883_410_000, r.StartMs);
        Assert.Equal(startId == 150 ? 1_795_883_419_000 : 1_795_883_419_500, r.EndMs);
    }

    [Fact]
    public void Relative_times_count_from_systemInitTimeMilliseconds_of_an_options_record()
    {
        // softflowd: options template with scope meteringProcessId (143) and systemInitTimeMilliseconds (160);
        // flows carry flowStartSysUpTime (22) / flowEndSysUpTime (21).
        var message = new IpfixBuilder()
            .OptionsTemplate(256, 1, (143, 4), (160, 8), (305, 4), (306, 4))
            .Template(1024, (8, 4), (22, 4), (21, 4))
            .Data(256, new RecordWriter().U32(1).U64(1_795_869_000_000).U32(1).U32(0).ToArray())
            .Data(1024, new RecordWriter().Ip("10.0.0.1").U32(14_405_287).U32(14_412_195).ToArray())
            .Build();

        var r = Single(new FlowDecoder(), message);

        Assert.Equal(1_795_883_405_287, r.StartMs);
        Assert.Equal(1_795_883_412_195, r.EndMs);
        Assert.Equal(1u, r.SamplingRate);
    }

    [Fact]
    public void System_init_time_inside_the_flow_record_anchors_its_relative_times()
    {
        var message = new IpfixBuilder().Template(256, (160, 8), (22, 4), (21, 4))
            .Data(256, new RecordWriter().U64(1_795_869_000_000).U32(14_405_287).U32(14_412_195).ToArray()).Build();

        var r = Single(new FlowDecoder(), message);

        Assert.Equal(1_795_883_405_287, r.StartMs);
        Assert.Equal(1_795_883_412_195, r.EndMs);
    }

    [Fact]
    public void Relative_times_without_a_known_system_init_time_are_absent()
    {
        var message = new IpfixBuilder().Template(1024, (8, 4), (22, 4), (21, 4))
            .Data(1024, new RecordWriter().Ip("10.0.0.1").U32(1_000).U32(2_000).ToArray()).Build();

        var r = Single(new FlowDecoder(), message);

        Assert.False(r.Has(FlowFields.Times));
    }

    [Fact]
    public void Delta_times_count_back_from_the_export_time()
    {
        // IEs 158/159: microseconds before the message's export time.
        var message = new IpfixBuilder { ExportTime = 1_795_883_420 }.Template(256, (158, 4), (159, 4))
            .Data(256, new RecordWriter().U32(9_500_000).U32(250_000).ToArray()).Build();

        var r = Single(new FlowDecoder(), message);

        Assert.Equal(1_795_883_410_500, r.StartMs);
        Assert.Equal(1_795_883_419_750, r.EndMs);
    }

    [Fact]
    public void Sampling_rate_comes_from_the_selector_named_by_the_flow()
    {
        // RFC 5477: selectorId (302) with samplingPacketInterval (305) and samplingPacketSpace (306):
        // selector 1 takes 1 packet then skips 99 → 1 in 100; selector 2 takes 1 in 1,000.
        var decoder = new FlowDecoder();
        Run(decoder, new IpfixBuilder()
            .OptionsTemplate(400, 1, (302, 8), (304, 2), (305, 4), (306, 4))
            .Data(400, new RecordWriter().U64(1).U16(1).U32(1).U32(99).U64(2).U16(1).U32(1).U32(999).ToArray())
            .Build());

        var (_, records) = Run(decoder, new IpfixBuilder().Template(256, (8, 4), (1, 4), (302, 4))
            .Data(256, new RecordWriter().Ip("10.0.0.1").U32(100).U32(1).Ip("10.0.0.2").U32(100).U32(2).ToArray()).Build());

        Assert.Equal([100u, 1000u], records.Select(r => r.SamplingRate));
        Assert.Equal(10_000UL, records[0].BytesScaled);
        Assert.Equal(100UL, records[0].Bytes);
    }

    [Fact]
    public void Sampling_size_and_population_give_the_rate()
    {
        // RFC 5477 random n-out-of-N: samplingSize 309 = 10 out of samplingPopulation 310 = 5,000 → 1 in 500.
        var decoder = new FlowDecoder();
        Run(decoder, new IpfixBuilder().OptionsTemplate(400, 1, (149, 4), (309, 4), (310, 4))
            .Data(400, new RecordWriter().U32(0).U32(10).U32(5_000).ToArray()).Build());

        var r = Single(decoder, new IpfixBuilder().Template(256, V4Template).Data(256, V4Record()).Build());

        Assert.Equal(500u, r.SamplingRate);
    }

    [Fact]
    public void Options_template_without_scope_fields_is_rejected()
    {
        // RFC 7011 §3.4.2.2: the scope field count must not be zero.
        var decoder = new FlowDecoder();
        var (result, _) = Run(decoder, new IpfixBuilder().OptionsTemplate(400, 0, (160, 8)).Build());

        Assert.Equal(DecodeError.BadTemplate, result.Error);
        Assert.Equal(0, decoder.Templates.Count);
    }

    [Fact]
    public void Message_length_beyond_the_datagram_is_truncation()
    {
        var message = new IpfixBuilder { Length = 2000 }.Template(256, V4Template).Build();

        var (result, _) = Run(new FlowDecoder(), message);

        Assert.Equal(DecodeError.Truncated, result.Error);
    }

    [Fact]
    public void Bytes_after_the_message_length_are_ignored()
    {
        var message = new IpfixBuilder().Template(256, V4Template).Data(256, V4Record()).Build();
        var padded = message.Concat(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0, 0 }).ToArray();

        var (result, records) = Run(new FlowDecoder(), padded);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Single(records);
    }

    [Fact]
    public void Icmpv6_type_and_code_come_from_ie_139_or_178_and_179()
    {
        var decoder = new FlowDecoder();
        var combined = Single(decoder, new IpfixBuilder().Template(256, (27, 16), (139, 2), (4, 1))
            .Data(256, new RecordWriter().Ip("fd00::1").U16(0x8000).U8(58).ToArray()).Build());
        var split = Single(decoder, new IpfixBuilder().Template(257, (8, 4), (176, 1), (177, 1), (4, 1))
            .Data(257, new RecordWriter().Ip("10.0.0.1").U8(11).U8(1).U8(1).ToArray()).Build());
        var split6 = Single(decoder, new IpfixBuilder().Template(258, (27, 16), (178, 1), (179, 1), (4, 1))
            .Data(258, new RecordWriter().Ip("fd00::1").U8(1).U8(4).U8(58).ToArray()).Build());

        Assert.Equal((128, 0), (combined.IcmpType, combined.IcmpCode));
        Assert.Equal((11, 1), (split.IcmpType, split.IcmpCode));
        Assert.Equal((1, 4), (split6.IcmpType, split6.IcmpCode));
        Assert.True(combined.Has(FlowFields.Icmp) && split.Has(FlowFields.Icmp) && split6.Has(FlowFields.Icmp));
    }

    [Fact]
    public void Dot1q_vlan_is_used_when_no_source_vlan_is_sent()
    {
        var r = Single(new FlowDecoder(), new IpfixBuilder().Template(256, (243, 2), (59, 2)).Data(256, new RecordWriter().U16(100).U16(200).ToArray()).Build());

        Assert.Equal(100, r.Vlan);
    }

    [Fact]
    public void Total_counters_stand_in_for_delta_counters()
    {
        var r = Single(new FlowDecoder(), new IpfixBuilder().Template(256, (85, 8), (86, 8)).Data(256, new RecordWriter().U64(4_000).U64(40).ToArray()).Build());

        Assert.Equal(4_000UL, r.Bytes);
        Assert.Equal(40UL, r.Packets);
    }

    [Fact]
    public void Sequence_numbers_count_data_records_including_options_records()
    {
        // RFC 7011 §3.1: the sequence number is the count of data records sent before this message.
        var decoder = new FlowDecoder();
        Run(decoder, new IpfixBuilder { Sequence = 0 }.Template(256, V4Template).OptionsTemplate(400, 1, (149, 4), (160, 8))
            .Data(400, new RecordWriter().U32(0).U64(1_795_869_000_000).ToArray())
            .Data(256, new RecordWriter().Bytes(V4Record()).Bytes(V4Record()).ToArray()).Build());
        Run(decoder, new IpfixBuilder { Sequence = 3 }.Data(256, V4Record()).Build());
        Run(decoder, new IpfixBuilder { Sequence = 4 }.Data(256, V4Record()).Build());

        var stream = decoder.Sequences.Streams[new SequenceStreamKey(Exporter, 10, 0)];
        Assert.Equal(0, stream.Gaps);
        Assert.Equal(0, stream.Lost);
        Assert.Equal(5u, stream.Expected);
    }

    [Fact]
    public void Softflowd_sequence_numbers_that_count_the_current_message_show_no_loss()
    {
        // testdata/README.md: softflowd's IPFIX sequence numbers count the current message and skip options records.
        var decoder = new FlowDecoder();
        Run(decoder, new IpfixBuilder { Sequence = 2 }.Template(256, V4Template).OptionsTemplate(400, 1, (149, 4), (160, 8))
            .Data(400, new RecordWriter().U32(0).U64(1_795_869_000_000).ToArray())
            .Data(256, new RecordWriter().Bytes(V4Record()).Bytes(V4Record()).ToArray()).Build());
        Run(decoder, new IpfixBuilder { Sequence = 5 }.Data(256, new RecordWriter().Bytes(V4Record()).Bytes(V4Record()).Bytes(V4Record()).ToArray()).Build());
        Run(decoder, new IpfixBuilder { Sequence = 6 }.Data(256, V4Record()).Build());
        Run(decoder, new IpfixBuilder { Sequence = 9 }.Data(256, V4Record()).Build()); // two records lost

        var stream = decoder.Sequences.Streams[new SequenceStreamKey(Exporter, 10, 0)];
        Assert.Equal(1, stream.Gaps);
        Assert.Equal(2, stream.Lost);
        Assert.Equal(0, stream.Reordered);
    }
}
