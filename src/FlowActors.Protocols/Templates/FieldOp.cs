namespace FlowActors.Protocols.Templates;

/// <summary>What a template field does to a record: resolved once when the template arrives (see <see cref="FieldPlan"/>).</summary>
internal enum FieldOp : byte
{
    Skip = 0,
    SrcV4, DstV4, SrcV6, DstV6, NextHopV4, NextHopV6, BgpNextHopV4, BgpNextHopV6,
    SrcPort, DstPort, Protocol, TcpFlags, Tos,
    Bytes, Packets, BytesTotal, PacketsTotal, BytesInitiator, PacketsInitiator, BytesOut, PacketsOut,
    InputInterface, OutputInterface, SrcAs, DstAs, SrcMask, DstMask,
    SrcVlan, DstVlan, Dot1qVlan,
    IcmpTypeCode, IcmpTypeCodeV6, IcmpType, IcmpCode, IcmpTypeV6, IcmpCodeV6,
    Direction, FlowEndReason, FirewallEvent, FirewallEventLegacy,
    StartUptime, EndUptime, StartSeconds, EndSeconds, StartMilliseconds, EndMilliseconds,
    StartMicroseconds, EndMicroseconds, StartNanoseconds, EndNanoseconds, StartDeltaMicroseconds, EndDeltaMicroseconds,
    ObservationTimeMilliseconds,
    SamplerId, SamplingInterval, SamplingSpace, SamplingSize, SamplingPopulation, SystemInitTimeMilliseconds,
    IpVersion, IngressPhysicalInterface, EgressPhysicalInterface,
}

/// <summary>Maps NetFlow v9 field types and IPFIX information elements to <see cref="FieldOp"/>s.</summary>
/// <remarks>
/// NetFlow v9 field types below 128 share their numbers with IPFIX IEs (RFC 7012 §4 took them over), so one table
/// serves both. A field whose length does not suit its meaning (an IPv4 address on 3 bytes, a counter on 9) is
/// skipped, not trusted. Unsigned integers on fewer bytes than their type are accepted everywhere (RFC 7011 §6.2
/// reduced-size encoding; NetFlow v9 exporters send counters on 2, 4 or 8 bytes).
/// </remarks>
internal static class FieldMap
{
    /// <summary>IANA private enterprise number of the RFC 5103 reverse information elements (biflow).</summary>
    public const uint ReversePen = 29305;

    /// <summary>Variable length marker in an IPFIX template (RFC 7011 §7).</summary>
    public const ushort VariableLength = 0xFFFF;

    public static FieldOp Map(ushort version, uint enterprise, ushort id, ushort length, bool isScope)
    {
        if (length == 0 || length == VariableLength) return FieldOp.Skip;

        // NetFlow v9 scope field types (1 system, 2 interface, 3 line card, 4 cache, 5 template; RFC 3954 §6.1)
        // collide with flow field numbers, so they are never read as flow fields.
        if (version == 9 && isScope) return FieldOp.Skip;

        // Enterprise-specific IEs (RFC 7011 §3.2): RFC 5103 reverse-direction IEs (PEN 29305) describe the opposite
        // direction, which the record does not carry; other vendors' IEs carry nothing the record holds. Both are
        // skipped by length, safely.
        if (enterprise != 0) return FieldOp.Skip;

        bool scalar = length <= 8;
        switch (id)
        {
            case 1: return scalar ? FieldOp.Bytes : FieldOp.Skip;
            case 2: return scalar ? FieldOp.Packets : FieldOp.Skip;
            case 4: return scalar ? FieldOp.Protocol : FieldOp.Skip;
            case 5: return scalar ? FieldOp.Tos : FieldOp.Skip;
            case 6: return scalar ? FieldOp.TcpFlags : FieldOp.Skip;
            case 7: return scalar ? FieldOp.SrcPort : FieldOp.Skip;
            case 8: return length == 4 ? FieldOp.SrcV4 : FieldOp.Skip;
            case 9: return scalar ? FieldOp.SrcMask : FieldOp.Skip;
            case 10: return scalar ? FieldOp.InputInterface : FieldOp.Skip;
            case 11: return scalar ? FieldOp.DstPort : FieldOp.Skip;
            case 12: return length == 4 ? FieldOp.DstV4 : FieldOp.Skip;
            case 13: return scalar ? FieldOp.DstMask : FieldOp.Skip;
            case 14: return scalar ? FieldOp.OutputInterface : FieldOp.Skip;
            case 15: return length == 4 ? FieldOp.NextHopV4 : FieldOp.Skip;
            case 16: return scalar ? FieldOp.SrcAs : FieldOp.Skip;
            case 17: return scalar ? FieldOp.DstAs : FieldOp.Skip;
            case 18: return length == 4 ? FieldOp.BgpNextHopV4 : FieldOp.Skip;
            case 21: return scalar ? FieldOp.EndUptime : FieldOp.Skip;
            case 22: return scalar ? FieldOp.StartUptime : FieldOp.Skip;
            case 23: return scalar ? FieldOp.BytesOut : FieldOp.Skip;
            case 24: return scalar ? FieldOp.PacketsOut : FieldOp.Skip;
            case 27: return length == 16 ? FieldOp.SrcV6 : FieldOp.Skip;
            case 28: return length == 16 ? FieldOp.DstV6 : FieldOp.Skip;
            case 29: return scalar ? FieldOp.SrcMask : FieldOp.Skip;
            case 30: return scalar ? FieldOp.DstMask : FieldOp.Skip;
            case 32: return scalar ? FieldOp.IcmpTypeCode : FieldOp.Skip;
            case 34: return scalar ? FieldOp.SamplingInterval : FieldOp.Skip;
            case 48: return scalar ? FieldOp.SamplerId : FieldOp.Skip;
            case 50: return scalar ? FieldOp.SamplingInterval : FieldOp.Skip;
            case 58: return scalar ? FieldOp.SrcVlan : FieldOp.Skip;
            case 59: return scalar ? FieldOp.DstVlan : FieldOp.Skip;
            case 60: return scalar ? FieldOp.IpVersion : FieldOp.Skip;
            case 61: return scalar ? FieldOp.Direction : FieldOp.Skip;
            case 62: return length == 16 ? FieldOp.NextHopV6 : FieldOp.Skip;
            case 63: return length == 16 ? FieldOp.BgpNextHopV6 : FieldOp.Skip;
            case 85: return scalar ? FieldOp.BytesTotal : FieldOp.Skip;
            case 86: return scalar ? FieldOp.PacketsTotal : FieldOp.Skip;
            case 136: return scalar ? FieldOp.FlowEndReason : FieldOp.Skip;
            case 139: return scalar ? FieldOp.IcmpTypeCodeV6 : FieldOp.Skip;
            case 150: return scalar ? FieldOp.StartSeconds : FieldOp.Skip;
            case 151: return scalar ? FieldOp.EndSeconds : FieldOp.Skip;
            case 152: return scalar ? FieldOp.StartMilliseconds : FieldOp.Skip;
            case 153: return scalar ? FieldOp.EndMilliseconds : FieldOp.Skip;
            // dateTimeMicroseconds / dateTimeNanoseconds are NTP timestamps: 8 bytes exactly (RFC 7011 §6.1.9).
            case 154: return length == 8 ? FieldOp.StartMicroseconds : FieldOp.Skip;
            case 155: return length == 8 ? FieldOp.EndMicroseconds : FieldOp.Skip;
            case 156: return length == 8 ? FieldOp.StartNanoseconds : FieldOp.Skip;
            case 157: return length == 8 ? FieldOp.EndNanoseconds : FieldOp.Skip;
            case 158: return scalar ? FieldOp.StartDeltaMicroseconds : FieldOp.Skip;
            case 159: return scalar ? FieldOp.EndDeltaMicroseconds : FieldOp.Skip;
            case 160: return scalar ? FieldOp.SystemInitTimeMilliseconds : FieldOp.Skip;
            case 176: return scalar ? FieldOp.IcmpType : FieldOp.Skip;
            case 177: return scalar ? FieldOp.IcmpCode : FieldOp.Skip;
            case 178: return scalar ? FieldOp.IcmpTypeV6 : FieldOp.Skip;
            case 179: return scalar ? FieldOp.IcmpCodeV6 : FieldOp.Skip;
            // Cisco ASA NSEL: initiator octets/packets stand for the record's src→dst direction when 1/2 are absent;
            // responder counters (232/299) are the opposite direction and not folded in.
            case 231: return scalar ? FieldOp.BytesInitiator : FieldOp.Skip;
            case 233: return scalar ? FieldOp.FirewallEvent : FieldOp.Skip;
            case 243: return scalar ? FieldOp.Dot1qVlan : FieldOp.Skip;
            // Juniper exports only these in place of ingressInterface/egressInterface (10/14).
            case 252: return scalar ? FieldOp.IngressPhysicalInterface : FieldOp.Skip;
            case 253: return scalar ? FieldOp.EgressPhysicalInterface : FieldOp.Skip;
            case 298: return scalar ? FieldOp.PacketsInitiator : FieldOp.Skip;
            case 302: return scalar ? FieldOp.SamplerId : FieldOp.Skip;
            case 305: return scalar ? FieldOp.SamplingInterval : FieldOp.Skip;
            case 306: return scalar ? FieldOp.SamplingSpace : FieldOp.Skip;
            case 309: return scalar ? FieldOp.SamplingSize : FieldOp.Skip;
            case 310: return scalar ? FieldOp.SamplingPopulation : FieldOp.Skip;
            case 323: return scalar ? FieldOp.ObservationTimeMilliseconds : FieldOp.Skip;
            // Cisco ASA NSEL legacy NF_F_FW_EVENT (v9 only; IPFIX has no such IE number without a PEN).
            case 40005: return version == 9 && scalar ? FieldOp.FirewallEventLegacy : FieldOp.Skip;
            default: return FieldOp.Skip;
        }
    }
}
