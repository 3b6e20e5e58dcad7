using FlowActors.Protocols.Tests.Encoding;

namespace FlowActors.Protocols.Tests;

/// <summary>The hot path allocates nothing per datagram once templates are known and the JIT has warmed up.</summary>
public sealed class AllocationTests
{
    [Theory]
    [InlineData("normal-v9.pcap")]
    [InlineData("normal-ipfix.pcap")]
    [InlineData("normal-pmacct-v9.pcap")]
    [InlineData("normal-pmacct-ipfix.pcap")]
    [InlineData("normal-v5.pcap")]
    public void Decoding_captured_datagrams_allocates_nothing_after_warm_up(string capture)
    {
        // The first datagrams carry templates, options templates, options data and flow data together.
        var datagrams = TestData.Datagrams(capture).Take(4).ToList();
        AssertNoAllocation(datagrams.Select(d => (d.Source, d.Payload)).ToList());
    }

    [Fact]
    public void Decoding_ipfix_with_variable_length_and_enterprise_fields_allocates_nothing_after_warm_up()
    {
        var message = new IpfixBuilder()
            .Template(256, (8, 4), (82, IpfixField.Variable), new IpfixField(1, 4, 29305), (1, 4), (2, 4), (152, 8), (153, 8))
            .Data(256, new RecordWriter()
                .Ip("10.0.0.1").VarLen("eth0"u8.ToArray()).U32(1).U32(100).U32(1).U64(1_795_883_410_000).U64(1_795_883_411_000)
                .Ip("10.0.0.2").VarLen(new byte[300]).U32(1).U32(200).U32(2).U64(1_795_883_410_000).U64(1_795_883_411_000)
                .ToArray())
            .Build();

        AssertNoAllocation([(DecodeHelper.Exporter, message)]);
    }

    private static void AssertNoAllocation(List<(FlowAddress Source, byte[] Payload)> datagrams)
    {
        var decoder = new FlowDecoder();
        using var buffer = new FlowRecordBuffer(1024, 1024);
        long now = DecodeHelper.Now;
        int records = 0;

        for (int i = 0; i < 2_000; i++) records += DecodeAll(decoder, buffer, datagrams, now);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++) records += DecodeAll(decoder, buffer, datagrams, now);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(records > 0);
        Assert.Equal(0, allocated);
    }

    private static int DecodeAll(FlowDecoder decoder, FlowRecordBuffer buffer, List<(FlowAddress Source, byte[] Payload)> datagrams, long now)
    {
        int n = 0;
        for (int d = 0; d < datagrams.Count; d++)
        {
            buffer.Clear();
            n += decoder.Decode(datagrams[d].Payload, datagrams[d].Source, now, buffer).Records;
        }

        return n;
    }
}
