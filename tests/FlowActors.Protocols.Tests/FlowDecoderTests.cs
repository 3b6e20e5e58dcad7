using FlowActors.Protocols.Tests.Encoding;
using static FlowActors.Protocols.Tests.DecodeHelper;

namespace FlowActors.Protocols.Tests;

/// <summary>The facade: protocol detection, limits, expiry, per-exporter counters, options validation.</summary>
public sealed class FlowDecoderTests
{
    private static byte[] V9Template(ushort id, uint sourceId = 0) =>
        new NetFlowV9Builder { SourceId = sourceId }.Template(id, (8, 4), (1, 4)).Build();

    private static byte[] V9Data(ushort id, uint sourceId = 0) =>
        new NetFlowV9Builder { SourceId = sourceId }.Data(id, new RecordWriter().Ip("10.0.0.1").U32(5).ToArray()).Build();

    [Theory]
    [InlineData(new byte[] { 0, 7, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 4, 0, 0 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0, 0 })]
    public void Unknown_version_is_reported_not_thrown(byte[] datagram)
    {
        var (result, records) = Run(new FlowDecoder(), datagram);

        Assert.Equal(DecodeError.UnknownVersion, result.Error);
        Assert.Empty(records);
    }

    [Fact]
    public void Datagram_shorter_than_a_version_field_is_too_short()
    {
        var (result, _) = Run(new FlowDecoder(), [0, 9]);

        Assert.Equal(DecodeError.TooShort, result.Error);
    }

    [Fact]
    public void Versions_are_detected_from_the_first_bytes()
    {
        var decoder = new FlowDecoder();

        Assert.Equal(5, Run(decoder, new NetFlowV5Builder().Add(new NetFlowV5Record()).Build()).Result.Version);
        Assert.Equal(9, Run(decoder, V9Template(256)).Result.Version);
        Assert.Equal(10, Run(decoder, new IpfixBuilder().Template(256, (8, 4)).Build()).Result.Version);
    }

    [Fact]
    public void Exporter_counters_track_datagrams_records_and_errors_by_kind()
    {
        var decoder = new FlowDecoder();
        var other = FlowAddress.Parse("2001:db8::9");
        Run(decoder, V9Template(256));
        Run(decoder, V9Data(256));
        Run(decoder, [0, 9, 0]);
        Run(decoder, [0, 99, 0, 0], exporter: other);

        var stats = decoder.Exporters.Get(Exporter)!;
        Assert.Equal(3, stats.Datagrams);
        Assert.Equal(1, stats.Records);
        Assert.Equal(1, stats.TemplatesLearned);
        Assert.Equal(1, stats.ErrorDatagrams);
        Assert.Equal(1, stats.Errors(DecodeError.TooShort));
        Assert.Equal(1, decoder.Exporters.Get(other)!.Errors(DecodeError.UnknownVersion));
        Assert.Equal(2, decoder.Exporters.Count);
    }

    [Fact]
    public void Exporter_counters_are_bounded_and_the_least_recently_seen_exporter_goes_first()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxExporters = 2 });
        var a = FlowAddress.Parse("192.0.2.10");
        var b = FlowAddress.Parse("192.0.2.11");
        var c = FlowAddress.Parse("192.0.2.12");
        Run(decoder, V9Template(256), exporter: a);
        Run(decoder, V9Template(256), exporter: b);
        Run(decoder, V9Template(256), exporter: a);

        Run(decoder, V9Template(256), exporter: c);

        Assert.Equal(2, decoder.Exporters.Count);
        Assert.Equal(1, decoder.Exporters.Evicted);
        Assert.NotNull(decoder.Exporters.Get(a));
        Assert.Null(decoder.Exporters.Get(b));
        Assert.Equal(2, decoder.Exporters.Get(a)!.Datagrams);
    }

    [Fact]
    public void Templates_beyond_the_per_exporter_limit_replace_that_exporters_own()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxTemplatesPerExporter = 2, MaxTemplates = 10 });
        Run(decoder, V9Template(256));
        Run(decoder, V9Template(257));

        var (result, _) = Run(decoder, V9Template(258));
        var (otherResult, _) = Run(decoder, V9Template(258), exporter: FlowAddress.Parse("192.0.2.2"));

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(DecodeError.None, otherResult.Error);
        Assert.Equal(2, decoder.Templates.CountFor(Exporter));
        Assert.Equal(1, decoder.Templates.QuotaEvicted);
    }

    [Fact]
    public void Templates_beyond_the_total_limit_are_refused_when_every_held_one_decodes_data()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxTemplatesPerExporter = 2, MaxTemplates = 2 });
        Run(decoder, V9Template(256));
        Run(decoder, V9Data(256));
        Run(decoder, V9Template(256, sourceId: 1), exporter: FlowAddress.Parse("192.0.2.2"));
        Run(decoder, V9Data(256, sourceId: 1), exporter: FlowAddress.Parse("192.0.2.2"));

        var (result, _) = Run(decoder, V9Template(256), exporter: FlowAddress.Parse("192.0.2.3"));

        Assert.Equal(DecodeError.TemplateLimit, result.Error);
        Assert.Equal(2, decoder.Templates.Count);
    }

    [Fact]
    public void Redefining_a_known_template_is_allowed_at_the_limit()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxTemplatesPerExporter = 1, MaxTemplates = 1 });
        Run(decoder, V9Template(256));

        var (result, _) = Run(decoder, new NetFlowV9Builder().Template(256, (12, 4)).Build());

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(1, decoder.Templates.Replaced);
    }

    [Fact]
    public void Templates_not_refreshed_within_their_age_expire()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { TemplateMaxAge = TimeSpan.FromMinutes(10) });
        Run(decoder, V9Template(256), now: Now);
        Run(decoder, V9Template(257), now: Now + 300_000);

        int dropped = decoder.ExpireTemplates(Now + 600_001);

        Assert.Equal(1, dropped);
        Assert.False(decoder.Templates.Contains(new Templates.TemplateKey(Exporter, 9, 0, 256)));
        Assert.True(decoder.Templates.Contains(new Templates.TemplateKey(Exporter, 9, 0, 257)));
        Assert.Equal(0, decoder.Templates.CountFor(FlowAddress.Parse("192.0.2.99")));
        Assert.Equal(1, decoder.Templates.Expired);
    }

    [Fact]
    public void Held_data_whose_template_never_comes_expires_and_is_counted_for_its_exporter()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { HeldDataMaxAge = TimeSpan.FromSeconds(5) });
        Run(decoder, V9Data(256), now: Now);
        Run(decoder, V9Data(257), now: Now + 4_000);

        int dropped = decoder.ExpireTemplates(Now + 5_000);

        Assert.Equal(1, dropped);
        Assert.Equal(1, decoder.HeldData.Count);
        Assert.Equal(1, decoder.Exporters.Get(Exporter)!.HeldExpired);
        Assert.Equal(1, decoder.HeldData.Expired);
    }

    [Fact]
    public void Held_data_is_bounded_by_count()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { HeldDataMaxCount = 3 });
        for (ushort id = 256; id < 261; id++) Run(decoder, V9Data(id));

        Assert.Equal(3, decoder.HeldData.Count);
        Assert.Equal(2, decoder.HeldData.Rejected);
        Assert.Equal(2, decoder.Exporters.Get(Exporter)!.Undecodable);
        Assert.Equal(2, decoder.Exporters.Get(Exporter)!.Errors(DecodeError.MissingTemplate));
    }

    [Fact]
    public void Held_data_is_bounded_by_bytes()
    {
        // Each held set body is 8 bytes (one record: address + counter).
        var decoder = new FlowDecoder(new FlowDecoderOptions { HeldDataMaxBytes = 20 });
        for (ushort id = 256; id < 260; id++) Run(decoder, V9Data(id));

        Assert.Equal(2, decoder.HeldData.Count);
        Assert.Equal(16, decoder.HeldData.Bytes);
    }

    [Fact]
    public void Full_hold_queue_makes_room_by_dropping_expired_data()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { HeldDataMaxCount = 1, HeldDataMaxAge = TimeSpan.FromSeconds(5) });
        Run(decoder, V9Data(256), now: Now);

        var (result, _) = Run(decoder, V9Data(257), now: Now + 6_000);

        Assert.Equal(1, result.RecordsHeld);
        Assert.Equal(1, decoder.HeldData.Expired);
    }

    [Fact]
    public void Output_buffer_full_is_reported_and_the_rest_dropped()
    {
        var decoder = new FlowDecoder();
        var datagram = new NetFlowV5Builder().Add(new NetFlowV5Record()).Add(new NetFlowV5Record()).Add(new NetFlowV5Record()).Build();
        using var buffer = new FlowRecordBuffer(initialCapacity: 2, maxCapacity: 2);

        var result = decoder.Decode(datagram, Exporter, Now, buffer);

        Assert.Equal(DecodeError.OutputFull, result.Error);
        Assert.Equal(2, result.Records);
        Assert.Equal(1, buffer.Dropped);
    }

    [Fact]
    public void Sflow_datagrams_go_to_the_sflow_decoder()
    {
        // sFlow v5 starts with a 32-bit version 5 (bytes 0-3), unlike NetFlow v5's 16-bit one. Twelve bytes are too
        // short for its 28-byte header: the sFlow decoder says so (SFlow/ has the full tests).
        var (result, _) = Run(new FlowDecoder(), [0, 0, 0, 5, 0, 0, 0, 1, 10, 0, 0, 1]);

        Assert.Equal(DecodeError.TooShort, result.Error);
        Assert.Equal(FlowRecord.SFlowVersion, result.Version);
    }

    [Fact]
    public void Imported_template_decodes_data_like_a_learnt_one()
    {
        // Another node's snapshot (replication) is enough to decode the exporter's data here.
        var source = new FlowDecoder();
        Run(source, V9Template(256));
        var info = Assert.Single(source.Templates.Snapshot());
        var target = new FlowDecoder();

        var error = target.Templates.Import(info.Key, info.IsOptions, info.FieldCount, info.ScopeFieldCount, info.Definition.Span, Now);
        var r = Single(target, V9Data(256));

        Assert.Equal(DecodeError.None, error);
        Assert.Equal(5UL, r.Bytes);
    }

    [Fact]
    public void Held_data_is_released_when_the_exporter_refreshes_a_template_imported_meanwhile()
    {
        var source = new FlowDecoder();
        Run(source, V9Template(256));
        var info = Assert.Single(source.Templates.Snapshot());
        var target = new FlowDecoder();
        Run(target, V9Data(256));

        target.Templates.Import(info.Key, info.IsOptions, info.FieldCount, info.ScopeFieldCount, info.Definition.Span, Now);
        var (result, records) = Run(target, V9Template(256));

        Assert.Equal(1, result.RecordsReleased);
        Assert.Equal(5UL, Assert.Single(records).Bytes);
        Assert.Equal(0, target.HeldData.Count);
    }

    public static TheoryData<string, Action<FlowDecoderOptions>> BadOptions() => new()
    {
        { nameof(FlowDecoderOptions.MaxTemplatesPerExporter), o => o.MaxTemplatesPerExporter = 0 },
        { nameof(FlowDecoderOptions.MaxTemplates), o => o.MaxTemplates = -1 },
        { nameof(FlowDecoderOptions.MaxTemplatesPerExporter), o => { o.MaxTemplates = 10; o.MaxTemplatesPerExporter = 11; } },
        { nameof(FlowDecoderOptions.MaxFieldsPerTemplate), o => o.MaxFieldsPerTemplate = 20_000 },
        { nameof(FlowDecoderOptions.TemplateMaxAge), o => o.TemplateMaxAge = TimeSpan.Zero },
        { nameof(FlowDecoderOptions.HeldDataMaxCount), o => o.HeldDataMaxCount = -1 },
        { nameof(FlowDecoderOptions.HeldDataMaxBytes), o => o.HeldDataMaxBytes = -1 },
        { nameof(FlowDecoderOptions.HeldDataMaxAge), o => o.HeldDataMaxAge = TimeSpan.FromSeconds(-1) },
        { nameof(FlowDecoderOptions.MaxExporters), o => o.MaxExporters = 0 },
        { nameof(FlowDecoderOptions.MaxDomains), o => o.MaxDomains = 0 },
        { nameof(FlowDecoderOptions.MaxSamplersPerDomain), o => o.MaxSamplersPerDomain = 0 },
        { nameof(FlowDecoderOptions.MaxSequenceStreams), o => o.MaxSequenceStreams = 0 },
        { nameof(FlowDecoderOptions.Sampling), o => o.Sampling = null! },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_option_stops_construction_naming_the_setting(string setting, Action<FlowDecoderOptions> spoil)
    {
        var options = new FlowDecoderOptions();
        spoil(options);

        var e = Assert.ThrowsAny<ArgumentException>(() => new FlowDecoder(options));

        Assert.Equal(setting, e.ParamName);
        Assert.Contains(setting, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_options_are_valid()
    {
        new FlowDecoderOptions().Validate();
    }
}
