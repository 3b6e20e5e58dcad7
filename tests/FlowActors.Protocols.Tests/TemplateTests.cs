using FlowActors.Protocols.Templates;
using FlowActors.Protocols.Tests.Encoding;
using static FlowActors.Protocols.Tests.DecodeHelper;

namespace FlowActors.Protocols.Tests;

/// <summary>Template compilation into field plans, and templates that must be refused.</summary>
public sealed class TemplateTests
{
    [Fact]
    public void Fixed_layout_plan_keeps_only_the_fields_that_fill_the_record()
    {
        // softflowd template 1024 (testdata/README.md): 16 fields, all known → 16 steps, 42-byte records.
        // Adding two unknown fields (NetFlow v9 82 IF_NAME, vendor 57000) adds bytes but no steps.
        var softflowd = Build(9, [(8, 4), (12, 4), (22, 4), (21, 4), (1, 4), (2, 4), (10, 4), (14, 4), (61, 1), (136, 1), (7, 2), (11, 2), (4, 1), (6, 1), (60, 1), (5, 1)]);
        var withUnknown = Build(9, [(8, 4), (82, 16), (12, 4), (57000, 4)]);

        Assert.Equal(42, softflowd.RecordLength);
        Assert.Equal(16, softflowd.StepCount); // IP_PROTOCOL_VERSION (60) decides between address families
        Assert.Equal(28, withUnknown.RecordLength);
        Assert.Equal(2, withUnknown.StepCount);
        Assert.False(withUnknown.HasVariableLength);
    }

    [Fact]
    public void Variable_length_plan_walks_every_field()
    {
        var plan = Build(10, [(8, 4), (82, 0xFFFF), (1, 4)]);

        Assert.True(plan.HasVariableLength);
        Assert.Equal(3, plan.StepCount);
        Assert.Equal(9, plan.RecordLength); // 4 + at least the 1-byte length + 4
    }

    [Fact]
    public void Variable_length_field_in_netflow_v9_is_accepted_as_in_ipfix()
    {
        // H3C/HPE NetStream sends v9 templates with length 65535 (RFC 7011 §7 encoding in the records).
        var key = new TemplateKey(Exporter, 9, 0, 256);
        var specs = new RecordWriter().U16(8).U16(4).U16(82).U16(0xFFFF).ToArray();

        Assert.Equal(DecodeError.None, FieldPlan.TryBuild(key, false, 0, 2, specs, out var plan));
        Assert.True(plan!.HasVariableLength);
        Assert.Equal(5, plan.RecordLength);
    }

    [Fact]
    public void Template_field_count_beyond_its_flowset_is_truncation()
    {
        var packet = new NetFlowV9Builder().FlowSet(0, new RecordWriter().U16(256).U16(0xFFFF).U16(8).U16(4).ToArray()).Build();

        var decoder = new FlowDecoder();
        var (result, _) = Run(decoder, packet);

        Assert.Equal(DecodeError.Truncated, result.Error);
        Assert.Equal(0, decoder.Templates.Count);
    }

    [Fact]
    public void Ipfix_template_field_count_beyond_its_set_is_truncation()
    {
        var message = new IpfixBuilder().Set(2, new RecordWriter().U16(256).U16(60_000).U16(8).U16(4).ToArray()).Build();

        var (result, _) = Run(new FlowDecoder(), message);

        Assert.Equal(DecodeError.Truncated, result.Error);
    }

    [Fact]
    public void Template_with_more_fields_than_the_limit_is_rejected()
    {
        var fields = Enumerable.Range(0, 9).Select(_ => ((ushort)1, (ushort)4)).ToArray();
        var decoder = new FlowDecoder(new FlowDecoderOptions { MaxFieldsPerTemplate = 8 });

        var (result, _) = Run(decoder, new NetFlowV9Builder().Template(256, fields).Build());

        Assert.Equal(DecodeError.BadTemplate, result.Error);
        Assert.Equal(0, decoder.Templates.Count);
    }

    [Fact]
    public void Record_longer_than_any_message_is_a_bad_template()
    {
        // Two fields of 65,000 bytes: no 65,535-byte message can carry such a record.
        var specs = new RecordWriter().U16(82).U16(65_000).U16(83).U16(65_000).ToArray();

        Assert.Equal(DecodeError.BadTemplate, FieldPlan.TryBuild(new TemplateKey(Exporter, 9, 0, 256), false, 0, 2, specs, out _));
    }

    [Fact]
    public void Options_data_before_its_options_template_is_applied_once_the_template_arrives()
    {
        // Held data works for options too: the sampling rate announced before its template still applies.
        var decoder = new FlowDecoder();
        Run(decoder, new NetFlowV9Builder().Data(260, new RecordWriter().U32(0).U32(50).ToArray()).Build());
        Run(decoder, new NetFlowV9Builder().OptionsTemplate(260, [(1, 4)], [(34, 4)]).Build());

        var r = Single(decoder, new NetFlowV9Builder().Template(256, (8, 4), (1, 4)).Data(256, new RecordWriter().Ip("10.0.0.1").U32(10).ToArray()).Build());

        Assert.Equal(50u, r.SamplingRate);
        Assert.Equal(500UL, r.BytesScaled);
    }

    [Fact]
    public void Ipfix_data_before_template_is_decoded_once_template_arrives()
    {
        var decoder = new FlowDecoder();
        var first = Run(decoder, new IpfixBuilder { Sequence = 0 }.Data(256, new RecordWriter().Ip("10.0.0.1").U32(10).ToArray()).Build());
        var second = Run(decoder, new IpfixBuilder { Sequence = 0 }.Template(256, (8, 4), (1, 4)).Build());

        Assert.Equal(1, first.Result.RecordsHeld);
        Assert.Equal(10UL, Assert.Single(second.Records).Bytes);
        Assert.Equal(1, second.Result.RecordsReleased);
    }

    private static FieldPlan Build(ushort version, (ushort Id, ushort Length)[] fields)
    {
        var w = new RecordWriter();
        foreach (var (id, length) in fields) w.U16(id).U16(length);
        var error = FieldPlan.TryBuild(new TemplateKey(Exporter, version, 0, 256), false, 0, fields.Length, w.ToArray(), out var plan);
        Assert.Equal(DecodeError.None, error);
        return plan!;
    }
}
