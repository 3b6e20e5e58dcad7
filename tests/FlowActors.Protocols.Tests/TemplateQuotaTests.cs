using FlowActors.Protocols.Templates;
using FlowActors.Protocols.Capture;
using FlowActors.Protocols.Tests.Encoding;
using static FlowActors.Protocols.Tests.DecodeHelper;

namespace FlowActors.Protocols.Tests;

/// <summary>
/// Template-cache exhaustion (issue 10, finding 1): per-exporter quotas, least-recently-used eviction, and protection
/// of exporters whose data decodes from newcomers that only send templates.
/// </summary>
public sealed class TemplateQuotaTests
{
    private static byte[] Template(ushort id) => new IpfixBuilder().Template(id, (8, 4), (1, 4)).Build();

    private static byte[] Data(ushort id) => new IpfixBuilder().Data(id, new RecordWriter().Ip("10.0.0.1").U32(5).ToArray()).Build();

    private static FlowAddress Source(int i) => FlowAddress.Parse($"203.0.113.{i}");

    /// <summary>
    /// The flood of the finding: valid IPFIX templates from 40 spoofed sources, 21 datagrams of 20 templates each
    /// (840 datagrams, 16,800 templates), more than the default 16,384-template table holds.
    /// </summary>
    private static int Flood(FlowDecoder decoder, long now, int round = 0)
    {
        int datagrams = 0;
        for (int source = 1; source <= 40; source++)
        {
            for (int d = 0; d < 21; d++)
            {
                var b = new IpfixBuilder { ExportTime = (uint)(now / 1000), DomainId = (uint)round };
                for (int t = 0; t < 20; t++)
                {
                    ushort id = (ushort)(256 + d * 20 + t);
                    b.Template(id, (8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (1, (ushort)(4 + (t % 2) * 4)), (2, 4));
                }

                Run(decoder, b.Build(), now, Source(source));
                datagrams++;
            }
        }

        return datagrams;
    }

    [Theory]
    [InlineData("portscan-ipfix.pcap", 4001)]
    [InlineData("normal-pmacct-v9.pcap", 191)]
    public void After_a_template_flood_from_40_spoofed_sources_a_real_exporter_decodes_every_record(string capture, int expected)
    {
        var decoder = new FlowDecoder();
        var datagrams = TestData.Datagrams(capture);
        long start;
        using (var reader = PcapReader.Open(Path.Combine(TestData.Directory, capture)))
        {
            Assert.True(reader.TryReadNext(out var first));
            start = first.TimestampUs / 1000;
        }

        Assert.Equal(840, Flood(decoder, start - 1000));
        Assert.Equal(decoder.Templates.MaxTotal, decoder.Templates.Count); // the table is full of the flood's templates

        int decoded = Replay(decoder, datagrams, start);
        // The flood goes on once the real exporter is in: its templates are now protected.
        Flood(decoder, start + 1000, round: 1);
        int again = Replay(decoder, datagrams, start + 2000);

        Assert.Equal(expected, decoded);
        Assert.Equal(expected, again);
        var real = decoder.Exporters.Get(datagrams[0].Source)!;
        Assert.Equal(0, real.Undecodable);
        Assert.Equal(0, real.Errors(DecodeError.TemplateLimit));
        Assert.True(decoder.Templates.IsProven(datagrams[0].Source));
        Assert.True(decoder.Templates.Evicted > 0);
        Assert.True(decoder.Templates.Count <= decoder.Templates.MaxTotal);
    }

    private static int Replay(FlowDecoder decoder, List<(FlowAddress Source, byte[] Payload)> datagrams, long now)
    {
        int records = 0;
        using var buffer = new FlowRecordBuffer();
        foreach (var (source, payload) in datagrams)
        {
            buffer.Clear();
            records += decoder.Decode(payload, source, now, buffer).Records;
        }

        return records;
    }

    [Fact]
    public void An_exporter_at_its_quota_evicts_its_least_recently_used_template_not_its_oldest()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxTemplatesPerExporter = 2, MaxTemplates = 10 });
        Run(decoder, Template(256));
        Run(decoder, Template(257));
        Assert.Single(Run(decoder, Data(256)).Records); // 256 is learnt first but used last

        var (result, _) = Run(decoder, Template(258));

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(2, decoder.Templates.CountFor(Exporter));
        Assert.True(decoder.Templates.Contains(new(Exporter, 10, 0, 256)));
        Assert.False(decoder.Templates.Contains(new(Exporter, 10, 0, 257)));
        Assert.True(decoder.Templates.Contains(new(Exporter, 10, 0, 258)));
        Assert.Equal(1, decoder.Templates.QuotaEvicted);
    }

    [Fact]
    public void An_exporter_at_its_quota_never_takes_another_exporters_templates()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxTemplatesPerExporter = 2, MaxTemplates = 4 });
        var other = FlowAddress.Parse("192.0.2.2");
        Run(decoder, Template(256), exporter: other);
        for (ushort id = 256; id < 300; id++) Run(decoder, Template(id));

        Assert.Equal(2, decoder.Templates.CountFor(Exporter));
        Assert.Equal(1, decoder.Templates.CountFor(other));
        Assert.Equal(42, decoder.Templates.QuotaEvicted);
    }

    [Fact]
    public void A_full_table_gives_way_to_a_newcomer_from_exporters_that_only_sent_templates()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxTemplatesPerExporter = 2, MaxTemplates = 2 });
        Run(decoder, Template(256), exporter: Source(1));
        Run(decoder, Template(256), exporter: Source(2));

        var (result, _) = Run(decoder, Template(256));

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(0, decoder.Templates.CountFor(Source(1))); // the least recently learnt unused template
        Assert.Equal(1, decoder.Templates.CountFor(Source(2)));
        Assert.Equal(1, decoder.Templates.Evicted);
    }

    [Fact]
    public void An_exporter_whose_data_decodes_is_protected_from_newcomers_that_only_send_templates()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxTemplatesPerExporter = 2, MaxTemplates = 2 });
        Run(decoder, Template(256));
        Run(decoder, Template(257));
        Run(decoder, Data(257));

        var (result, _) = Run(decoder, Template(256), exporter: Source(1));

        Assert.Equal(DecodeError.TemplateLimit, result.Error);
        Assert.Equal(2, decoder.Templates.CountFor(Exporter));
        Assert.Equal(1, decoder.Templates.Rejected);
        Assert.Equal(1, decoder.Templates.ProvenExporters);
    }

    [Fact]
    public void Proven_exporters_share_a_full_table_fairly()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxTemplatesPerExporter = 3, MaxTemplates = 4 });
        var b = Source(2);
        for (ushort id = 256; id < 259; id++) Run(decoder, Template(id));
        Run(decoder, Data(256));
        Run(decoder, Template(256), exporter: b);
        Run(decoder, Data(256), exporter: b);

        var (result, _) = Run(decoder, Template(257), exporter: b);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(2, decoder.Templates.CountFor(Exporter));
        Assert.Equal(2, decoder.Templates.CountFor(b));
        Assert.True(decoder.Templates.Contains(new(Exporter, 10, 0, 256))); // its most recently used stays
    }
}
