using FlowActors.Protocols.Tests.Encoding;
using static FlowActors.Protocols.Tests.DecodeHelper;

namespace FlowActors.Protocols.Tests;

/// <summary>
/// Known answers for quirks of real vendor exports (issue 9): templates with both address families, NetFlow v9
/// variable-length fields, and physical interface elements in place of ingress/egress interface.
/// </summary>
public sealed class VendorQuirkTests
{
    // Juniper MX / Procera-Sandvine style: every record carries IPv4 and IPv6 source, destination and next hop
    // (IEs 8, 12, 15, 27, 28, 62, RFC 7012 §5.4) and the unused family is zero.
    private static readonly IpfixField[] DualFamily =
        [(8, 4), (12, 4), (15, 4), (27, 16), (28, 16), (62, 16), (7, 2), (11, 2), (4, 1)];

    private static readonly IpfixField[] DualFamilyWithVersion =
        [(8, 4), (12, 4), (15, 4), (27, 16), (28, 16), (62, 16), (7, 2), (11, 2), (4, 1), (60, 1)];

    private static byte[] DualRecord(string src4, string dst4, string hop4, string src6, string dst6, string hop6, int? ipVersion)
    {
        var w = new RecordWriter().Ip(src4).Ip(dst4).Ip(hop4).Ip(src6).Ip(dst6).Ip(hop6).U16(51000).U16(443).U8(6);
        if (ipVersion is { } v) w.U8((ulong)v);
        return w.ToArray();
    }

    public static TheoryData<string, string, string, string, string, string, int?, string, string, string> FamilyCases() => new()
    {
        // IPv4 set, IPv6 zero: IPv4 (the case that decoded as :: -> :: before).
        { "10.1.1.1", "192.0.2.80", "10.1.1.254", "::", "::", "::", null, "10.1.1.1", "192.0.2.80", "10.1.1.254" },
        { "10.1.1.1", "192.0.2.80", "10.1.1.254", "::", "::", "::", 4, "10.1.1.1", "192.0.2.80", "10.1.1.254" },
        // IPv6 set, IPv4 zero: IPv6.
        { "0.0.0.0", "0.0.0.0", "0.0.0.0", "2001:db8::1", "2001:db8:1::80", "fe80::1", null, "2001:db8::1", "2001:db8:1::80", "fe80::1" },
        { "0.0.0.0", "0.0.0.0", "0.0.0.0", "2001:db8::1", "2001:db8:1::80", "fe80::1", 6, "2001:db8::1", "2001:db8:1::80", "fe80::1" },
        // Both set: ipVersion (60) decides.
        { "10.1.1.1", "192.0.2.80", "10.1.1.254", "2001:db8::1", "2001:db8:1::80", "fe80::1", 6, "2001:db8::1", "2001:db8:1::80", "fe80::1" },
        { "10.1.1.1", "192.0.2.80", "10.1.1.254", "2001:db8::1", "2001:db8:1::80", "fe80::1", 4, "10.1.1.1", "192.0.2.80", "10.1.1.254" },
        // Both set and no ipVersion: IPv4, as the record layout lists it first.
        { "10.1.1.1", "192.0.2.80", "10.1.1.254", "2001:db8::1", "2001:db8:1::80", "fe80::1", null, "10.1.1.1", "192.0.2.80", "10.1.1.254" },
        // Each element on its own: a zero next hop of one family does not hide the other's.
        { "10.1.1.1", "192.0.2.80", "0.0.0.0", "::", "::", "fe80::1", null, "10.1.1.1", "192.0.2.80", "fe80::1" },
        // Neither set: ipVersion picks the family of the zero address.
        { "0.0.0.0", "0.0.0.0", "0.0.0.0", "::", "::", "::", 6, "::", "::", "::" },
        { "0.0.0.0", "0.0.0.0", "0.0.0.0", "::", "::", "::", 4, "0.0.0.0", "0.0.0.0", "0.0.0.0" },
    };

    [Theory]
    [MemberData(nameof(FamilyCases))]
    public void Ipfix_template_with_both_address_families_takes_the_family_that_is_set(
        string src4, string dst4, string hop4, string src6, string dst6, string hop6, int? ipVersion, string src, string dst, string hop)
    {
        var message = new IpfixBuilder()
            .Template(256, ipVersion is null ? DualFamily : DualFamilyWithVersion)
            .Data(256, DualRecord(src4, dst4, hop4, src6, dst6, hop6, ipVersion))
            .Build();

        var r = Single(new FlowDecoder(), message);

        Assert.Equal(FlowAddress.Parse(src), r.SrcAddr);
        Assert.Equal(FlowAddress.Parse(dst), r.DstAddr);
        Assert.Equal(FlowAddress.Parse(hop), r.NextHop);
        Assert.Equal(443, r.DstPort);
    }

    [Theory]
    [MemberData(nameof(FamilyCases))]
    public void NetFlow_v9_template_with_both_address_families_takes_the_family_that_is_set(
        string src4, string dst4, string hop4, string src6, string dst6, string hop6, int? ipVersion, string src, string dst, string hop)
    {
        var fields = (ipVersion is null ? DualFamily : DualFamilyWithVersion).Select(f => (f.Id, f.Length)).ToArray();
        var packet = new NetFlowV9Builder()
            .Template(256, fields)
            .Data(256, DualRecord(src4, dst4, hop4, src6, dst6, hop6, ipVersion))
            .Build();

        var r = Single(new FlowDecoder(), packet);

        Assert.Equal(FlowAddress.Parse(src), r.SrcAddr);
        Assert.Equal(FlowAddress.Parse(dst), r.DstAddr);
        Assert.Equal(FlowAddress.Parse(hop), r.NextHop);
    }

    [Fact]
    public void NetFlow_v9_datagram_with_a_variable_length_field_decodes_as_ipfix_does()
    {
        // H3C/HPE NetStream: a v9 template (RFC 3954 §5.2) with interfaceName (82) of length 65535, and records that
        // encode it as RFC 7011 §7 does: one length byte, or 255 then a 2-byte length.
        byte[] packet = Convert.FromHexString(
            "0009" + "0003" + "0036EE80" + "6B0A8C5C" + "00000001" + "00000000" + // header: version 9, count 3, uptime, secs, seq 1, source id 0
            "0000" + "0018" + "0100" + "0004" + "00080004" + "000C0004" + "0052FFFF" + "00010004" + // template 256: 8/4, 12/4, 82/65535, 1/4
            "0100" + "0028" +                                                     // data flowset 256, length 40
            "0A000001" + "C0000250" + "04" + "65746830" + "000005DC" +           // 10.0.0.1 -> 192.0.2.80, "eth0", 1500 bytes
            "0A000002" + "C0000251" + "FF0003" + "786531" + "00000064" +         // 10.0.0.2 -> 192.0.2.81, long form "xe1", 100 bytes
            "00");                                                                // padding to 4 bytes (RFC 3954 §5.3)

        var (result, records) = Run(new FlowDecoder(), packet);

        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(1, result.TemplatesLearned);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], records.Select(r => r.SrcAddr.ToString()));
        Assert.Equal(["192.0.2.80", "192.0.2.81"], records.Select(r => r.DstAddr.ToString()));
        Assert.Equal([1500UL, 100UL], records.Select(r => r.Bytes));
    }

    [Fact]
    public void NetFlow_v9_variable_length_field_running_past_the_flowset_drops_the_record()
    {
        var packet = new NetFlowV9Builder()
            .Template(256, (8, 4), (82, 0xFFFF), (1, 4))
            .Data(256, new RecordWriter().Ip("10.0.0.1").U8(200).Bytes("eth0"u8.ToArray()).ToArray())
            .Build();

        var (result, records) = Run(new FlowDecoder(), packet);

        Assert.Equal(DecodeError.BadLength, result.Error);
        Assert.Empty(records);
    }

    [Theory]
    [InlineData((ushort)9)]
    [InlineData((ushort)10)]
    public void Physical_interfaces_fill_input_and_output_interface_when_10_and_14_are_absent(ushort version)
    {
        // Juniper: ingressPhysicalInterface (252) and egressPhysicalInterface (253) only (RFC 7012 / IANA IPFIX registry).
        var record = new RecordWriter().Ip("10.0.0.1").Ip("192.0.2.80").U32(517).U32(530).ToArray();
        byte[] datagram = version == 9
            ? new NetFlowV9Builder().Template(256, (8, 4), (12, 4), (252, 4), (253, 4)).Data(256, record).Build()
            : new IpfixBuilder().Template(256, (8, 4), (12, 4), (252, 4), (253, 4)).Data(256, record).Build();

        var r = Single(new FlowDecoder(), datagram);

        Assert.True(r.Has(FlowFields.InputInterface | FlowFields.OutputInterface));
        Assert.Equal(517u, r.InputInterface);
        Assert.Equal(530u, r.OutputInterface);
    }

    [Fact]
    public void Ingress_and_egress_interface_win_over_the_physical_ones()
    {
        var message = new IpfixBuilder()
            .Template(256, (8, 4), (252, 4), (10, 2), (253, 4), (14, 2))
            .Data(256, new RecordWriter().Ip("10.0.0.1").U32(517).U16(7).U32(530).U16(9).ToArray())
            .Build();

        var r = Single(new FlowDecoder(), message);

        Assert.Equal(7u, r.InputInterface);
        Assert.Equal(9u, r.OutputInterface);
    }
}
