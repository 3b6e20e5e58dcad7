using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FlowActors.Protocols.Templates;

/// <summary>One step of a <see cref="FieldPlan"/>: where a field lies in the record, how long it is and what it fills.</summary>
internal readonly struct FieldStep(FieldOp op, ushort offset, ushort length)
{
    public readonly FieldOp Op = op;
    public readonly ushort Offset = offset;
    public readonly ushort Length = length;
}

/// <summary>What a data record is decoded against: the export header's clocks and the domain's announced state.</summary>
internal struct RecordContext
{
    public FlowAddress Exporter;
    public uint Domain;
    public ushort Version;
    /// <summary>Export time from the message header, Unix ms (v9 unix_secs, IPFIX exportTime).</summary>
    public long ExportTimeMs;
    /// <summary>NetFlow v9 header sysUpTime (ms); relative times 21/22 count from it.</summary>
    public uint SysUpTimeMs;
    /// <summary>True for NetFlow v9: relative times are against <see cref="SysUpTimeMs"/>; else against the domain's system init time.</summary>
    public bool UptimeFromHeader;
    public DomainState State;
    public SamplingPolicy Sampling;
}

/// <summary>
/// A template compiled once into a flat array of steps, so that data records are decoded by walking the array into a
/// <c>ref FlowRecord</c>: no allocation and no lookup per record.
/// </summary>
/// <remarks>
/// Fixed-length templates keep only the steps that fill something, each with its offset; templates with IPFIX
/// variable-length fields (RFC 7011 §7, also in NetFlow v9 from H3C/HPE NetStream) keep every field and are walked in order.
/// </remarks>
internal sealed class FieldPlan : ILruNode<FieldPlan>
{
    /// <summary>Largest record accepted: a set can hold no more in a 65,535-byte message.</summary>
    public const int MaxRecordLength = 65_535 - 20;

    private const long NtpToUnixSeconds = 2_208_988_800L;

    private readonly FieldStep[] _steps;

    private FieldPlan(TemplateKey key, bool isOptions, int scopeFieldCount, int fieldCount, byte[] definition, FieldStep[] steps, int recordLength, bool variable)
    {
        Key = key;
        IsOptions = isOptions;
        ScopeFieldCount = scopeFieldCount;
        FieldCount = fieldCount;
        Definition = definition;
        _steps = steps;
        RecordLength = recordLength;
        HasVariableLength = variable;
    }

    public TemplateKey Key { get; }
    public bool IsOptions { get; }
    public int ScopeFieldCount { get; }
    public int FieldCount { get; }

    /// <summary>The field specifiers as they came on the wire (v9: type/length pairs; IPFIX: with enterprise numbers).</summary>
    public byte[] Definition { get; }

    /// <summary>Record length, or the smallest possible one when <see cref="HasVariableLength"/>.</summary>
    public int RecordLength { get; }

    public bool HasVariableLength { get; }

    /// <summary>Last time the exporter (re)sent this template, caller's clock.</summary>
    public long LastSeenMs { get; set; }

    /// <summary>The template cache's list of one exporter's own templates (<see cref="Links"/> number).</summary>
    internal const int OwnerList = 0;

    /// <summary>The template cache's list of all templates of exporters in one trust tier (<see cref="Links"/> number).</summary>
    internal const int TierList = 1;

    // Links of the template cache's two intrusive LRU orders (no allocation per move; see TemplateCache).
    private LruLinks<FieldPlan> _ownerLinks, _tierLinks;

    /// <summary>This plan's links in the template cache's <see cref="OwnerList"/> or <see cref="TierList"/>.</summary>
    public ref LruLinks<FieldPlan> Links(int list) => ref list == OwnerList ? ref _ownerLinks : ref _tierLinks;

    /// <summary>The exporter's entry in the template cache that holds this plan.</summary>
    internal ExporterTemplates? Owner;

    /// <summary>Number of steps walked per record.</summary>
    public int StepCount => _steps.Length;

    /// <summary>Bytes this plan keeps alive (for accounting).</summary>
    public int FootprintBytes => 64 + Definition.Length + _steps.Length * 4;

    /// <summary>
    /// Measures <paramref name="fieldCount"/> field specifiers at the start of <paramref name="specs"/>:
    /// 4 bytes each, plus a 4-byte enterprise number after IPFIX specifiers with the enterprise bit.
    /// </summary>
    /// <returns>Their length in bytes, or -1 when they do not fit.</returns>
    public static int MeasureSpecifiers(ushort version, ReadOnlySpan<byte> specs, int fieldCount)
    {
        int pos = 0;
        for (int i = 0; i < fieldCount; i++)
        {
            if (specs.Length - pos < 4) return -1;
            bool enterprise = version == 10 && (specs[pos] & 0x80) != 0;
            pos += enterprise ? 8 : 4;
            if (pos > specs.Length) return -1;
        }

        return pos;
    }

    /// <summary>Compiles a template. <paramref name="specs"/> must be exactly the specifiers measured by <see cref="MeasureSpecifiers"/>.</summary>
    public static DecodeError TryBuild(in TemplateKey key, bool isOptions, int scopeFieldCount, int fieldCount, ReadOnlySpan<byte> specs, out FieldPlan? plan)
    {
        plan = null;
        if (fieldCount <= 0 || scopeFieldCount < 0 || scopeFieldCount > fieldCount) return DecodeError.BadTemplate;

        ushort version = key.Version;
        bool variable = false;
        int minLength = 0;
        int kept = 0;
        int pos = 0;
        for (int i = 0; i < fieldCount; i++)
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(specs.Slice(pos));
            ushort length = BinaryPrimitives.ReadUInt16BigEndian(specs.Slice(pos + 2));
            pos += 4;
            if (version == 10 && (id & 0x8000) != 0) pos += 4;
            if (length == FieldMap.VariableLength)
            {
                // RFC 3954 has no variable-length fields, but H3C/HPE NetStream sends v9 templates with length 65535
                // for strings, encoded in the records as IPFIX does (RFC 7011 §7).
                variable = true;
                minLength += 1;
            }
            else
            {
                minLength += length;
            }

            if (minLength > MaxRecordLength) return DecodeError.BadTemplate;
        }

        // A record of zero bytes would let a data set "contain" records forever.
        if (minLength == 0) return DecodeError.BadTemplate;

        pos = 0;
        int offset = 0;
        var steps = new FieldStep[variable ? fieldCount : CountUseful(version, specs, fieldCount, scopeFieldCount)];
        for (int i = 0; i < fieldCount; i++)
        {
            ushort id = ReadSpecifier(version, specs, ref pos, out uint pen, out ushort length);
            var op = FieldMap.Map(version, pen, id, length, i < scopeFieldCount);
            if (variable)
            {
                steps[kept++] = new FieldStep(op, 0, length);
            }
            else
            {
                if (op != FieldOp.Skip) steps[kept++] = new FieldStep(op, (ushort)offset, length);
                offset += length;
            }
        }

        plan = new FieldPlan(key, isOptions, scopeFieldCount, fieldCount, specs.ToArray(), steps, minLength, variable);
        return DecodeError.None;
    }

    /// <summary>
    /// Reads the field specifier at <paramref name="pos"/> and moves past it: returns the element id (without the
    /// IPFIX enterprise bit), with the enterprise number (0 for none) and the field length.
    /// </summary>
    private static ushort ReadSpecifier(ushort version, ReadOnlySpan<byte> specs, ref int pos, out uint pen, out ushort length)
    {
        ushort raw = BinaryPrimitives.ReadUInt16BigEndian(specs.Slice(pos));
        length = BinaryPrimitives.ReadUInt16BigEndian(specs.Slice(pos + 2));
        pos += 4;
        pen = 0;
        if (version != 10 || (raw & 0x8000) == 0) return raw;
        pen = BinaryPrimitives.ReadUInt32BigEndian(specs.Slice(pos));
        pos += 4;
        return (ushort)(raw & 0x7FFF);
    }

    private static int CountUseful(ushort version, ReadOnlySpan<byte> specs, int fieldCount, int scopeFieldCount)
    {
        int n = 0, pos = 0;
        for (int i = 0; i < fieldCount; i++)
        {
            ushort id = ReadSpecifier(version, specs, ref pos, out uint pen, out ushort length);
            if (FieldMap.Map(version, pen, id, length, i < scopeFieldCount) != FieldOp.Skip) n++;
        }

        return n;
    }

    /// <summary>True when <paramref name="specs"/> defines this very template again (a periodic refresh).</summary>
    public bool SameDefinition(bool isOptions, int scopeFieldCount, ReadOnlySpan<byte> specs) =>
        isOptions == IsOptions && scopeFieldCount == ScopeFieldCount && specs.SequenceEqual(Definition);

    /// <summary>Where the next field's bytes lie; handles IPFIX variable-length encoding (1 byte, or 255 then 2 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Locate(in FieldStep step, ReadOnlySpan<byte> record, ref int pos, out int at, out int length)
    {
        if (!HasVariableLength)
        {
            at = step.Offset;
            length = step.Length;
            return true;
        }

        length = step.Length;
        if (length == FieldMap.VariableLength)
        {
            if (pos >= record.Length) { at = 0; return false; }
            length = record[pos++];
            if (length == 255)
            {
                if (record.Length - pos < 2) { at = 0; return false; }
                length = BinaryPrimitives.ReadUInt16BigEndian(record.Slice(pos));
                pos += 2;
            }
        }

        at = pos;
        if (record.Length - pos < length) return false;
        pos += length;
        return true;
    }

    /// <summary>
    /// Decodes one data record at the start of <paramref name="record"/> into <paramref name="r"/>.
    /// </summary>
    /// <returns>Bytes the record took, or -1 when it runs past the end of <paramref name="record"/>.</returns>
    public int DecodeData(ReadOnlySpan<byte> record, ref FlowRecord r, in RecordContext ctx)
    {
        if (record.Length < RecordLength) return -1;

        var s = new Scratch();
        var steps = _steps;
        int used;
        if (!HasVariableLength)
        {
            // Fixed layout: every step's offset + length is within RecordLength (checked when the plan was built),
            // and the record is at least that long (checked above), so the reads need no further bounds checks.
            ref byte start = ref MemoryMarshal.GetReference(record);
            for (int i = 0; i < steps.Length; i++)
            {
                FieldStep step = steps[i];
                Apply(step.Op, ref Unsafe.Add(ref start, step.Offset), step.Length, ref r, ref s);
            }

            used = RecordLength;
        }
        else
        {
            int pos = 0;
            for (int i = 0; i < steps.Length; i++)
            {
                ref readonly FieldStep step = ref steps[i];
                if (!Locate(step, record, ref pos, out int at, out int length)) return -1;
                if (step.Op == FieldOp.Skip || length == 0) continue;
                if (length > 8 && !IsWide(step.Op)) continue; // only addresses are wider than 8 bytes
                if (IsWide(step.Op) && length != step.Length) continue;
                Apply(step.Op, ref MemoryMarshal.GetReference(record.Slice(at, length)), length, ref r, ref s);
            }

            used = pos;
        }

        Finish(ref r, ref s, in ctx);
        return used;
    }

    private static bool IsWide(FieldOp op) => op is FieldOp.SrcV6 or FieldOp.DstV6 or FieldOp.NextHopV6 or FieldOp.BgpNextHopV6
        or FieldOp.SrcV4 or FieldOp.DstV4 or FieldOp.NextHopV4 or FieldOp.BgpNextHopV4
        or FieldOp.StartMicroseconds or FieldOp.EndMicroseconds or FieldOp.StartNanoseconds or FieldOp.EndNanoseconds;

    /// <summary>
    /// Decodes one options data record and applies what it announces (sampling rates, IPFIX system init time) to
    /// <paramref name="state"/>.
    /// </summary>
    /// <returns>Bytes the record took, or -1 when it runs past the end of <paramref name="record"/>.</returns>
    public int DecodeOptions(ReadOnlySpan<byte> record, DomainState state, int maxSamplers)
    {
        if (record.Length < RecordLength) return -1;

        bool hasSampler = false, hasSpace = false, hasInit = false;
        uint samplerId = 0;
        ulong interval = 0, space = 0, size = 0, population = 0, init = 0;
        int pos = 0;
        var steps = _steps;
        for (int i = 0; i < steps.Length; i++)
        {
            ref readonly FieldStep step = ref steps[i];
            if (!Locate(step, record, ref pos, out int at, out int length)) return -1;
            if (length == 0 || length > 8) continue;
            ReadOnlySpan<byte> v = record.Slice(at, length);
            switch (step.Op)
            {
                case FieldOp.SamplerId: samplerId = (uint)ReadUnsigned(v); hasSampler = true; break;
                case FieldOp.SamplingInterval: interval = ReadUnsigned(v); break;
                case FieldOp.SamplingSpace: space = ReadUnsigned(v); hasSpace = true; break;
                case FieldOp.SamplingSize: size = ReadUnsigned(v); break;
                case FieldOp.SamplingPopulation: population = ReadUnsigned(v); break;
                case FieldOp.SystemInitTimeMilliseconds: init = ReadUnsigned(v); hasInit = true; break;
            }
        }

        ulong rate = 0;
        if (size != 0 && population != 0) rate = population / size; // RFC 5476 random n-out-of-N
        else if (interval != 0 && hasSpace) rate = (interval + space) / interval; // RFC 5476 systematic count-based
        else rate = interval; // v9 34/50 and vendors that send IPFIX 305 alone: 1 in N
        if (rate > uint.MaxValue) rate = uint.MaxValue;
        if (rate != 0)
        {
            if (hasSampler) state.SetSamplerRate(samplerId, (uint)rate, maxSamplers);
            else state.DefaultRate = (uint)rate;
        }

        if (hasInit && init <= long.MaxValue) state.SystemInitMs = (long)init;
        return HasVariableLength ? pos : RecordLength;
    }

    /// <summary>Per-record values that are only resolved once the whole record is read.</summary>
    private struct Scratch
    {
        public sbyte BytesRank, PacketsRank, VlanRank, NextHopRank;
        public bool HasStartRel, HasEndRel, HasStartAbs, HasEndAbs, HasStartDelta, HasEndDelta, HasObservation;
        public bool HasSampler, HasIcmp;
        public uint StartRel, EndRel, SamplerId;
        public long StartAbs, EndAbs, Observation;
        public ulong StartDeltaUs, EndDeltaUs, Interval, Space;
        public bool HasSpace, HasInit;
        public long InitMs;
        public byte Families, IpVersion;
        public bool HasPhysicalIn, HasPhysicalOut;
        public uint PhysicalIn, PhysicalOut;
        public FlowAddress SrcV6, DstV6, NextHopV6;
    }

    private const byte SrcV4Bit = 1, SrcV6Bit = 2, DstV4Bit = 4, DstV6Bit = 8, HopV4Bit = 16, HopV6Bit = 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Apply(FieldOp op, ref byte v, int length, ref FlowRecord r, ref Scratch s)
    {
        switch (op)
        {
            // Both families may be in one template (Juniper MX, Procera/Sandvine: the unused one is zero); IPv4 goes
            // straight into the record, IPv6 waits in the scratch until Finish picks the family (see PickFamily).
            case FieldOp.SrcV4: r.SrcAddr = FlowAddress.FromV4(BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref v))); s.Families |= SrcV4Bit; break;
            case FieldOp.DstV4: r.DstAddr = FlowAddress.FromV4(BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref v))); s.Families |= DstV4Bit; break;
            case FieldOp.SrcV6: s.SrcV6 = FlowAddress.FromV6(MemoryMarshal.CreateReadOnlySpan(ref v, 16)); s.Families |= SrcV6Bit; break;
            case FieldOp.DstV6: s.DstV6 = FlowAddress.FromV6(MemoryMarshal.CreateReadOnlySpan(ref v, 16)); s.Families |= DstV6Bit; break;
            case FieldOp.NextHopV4: SetNextHop(ref r, ref s, FlowAddress.FromV4(BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref v))), 2); s.Families |= HopV4Bit; break;
            case FieldOp.NextHopV6: s.NextHopV6 = FlowAddress.FromV6(MemoryMarshal.CreateReadOnlySpan(ref v, 16)); s.Families |= HopV6Bit; break;
            case FieldOp.IpVersion: s.IpVersion = (byte)Read(ref v, length); break;
            case FieldOp.IngressPhysicalInterface: s.PhysicalIn = (uint)Read(ref v, length); s.HasPhysicalIn = true; break;
            case FieldOp.EgressPhysicalInterface: s.PhysicalOut = (uint)Read(ref v, length); s.HasPhysicalOut = true; break;
            case FieldOp.BgpNextHopV4: SetNextHop(ref r, ref s, FlowAddress.FromV4(BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref v))), 1); break;
            case FieldOp.BgpNextHopV6: SetNextHop(ref r, ref s, FlowAddress.FromV6(MemoryMarshal.CreateReadOnlySpan(ref v, 16)), 1); break;
            case FieldOp.SrcPort: r.SrcPort = (ushort)Read(ref v, length); r.Present |= FlowFields.Ports; break;
            case FieldOp.DstPort: r.DstPort = (ushort)Read(ref v, length); r.Present |= FlowFields.Ports; break;
            case FieldOp.Protocol: r.Protocol = (byte)Read(ref v, length); break;
            case FieldOp.TcpFlags: r.TcpFlags = (ushort)Read(ref v, length); r.Present |= FlowFields.TcpFlags; break;
            case FieldOp.Tos: r.Tos = (byte)Read(ref v, length); r.Present |= FlowFields.Tos; break;
            case FieldOp.Bytes: SetBytes(ref r, ref s, Read(ref v, length), 4); break;
            case FieldOp.BytesTotal: SetBytes(ref r, ref s, Read(ref v, length), 3); break;
            case FieldOp.BytesInitiator: SetBytes(ref r, ref s, Read(ref v, length), 2); break;
            case FieldOp.BytesOut: SetBytes(ref r, ref s, Read(ref v, length), 1); break;
            case FieldOp.Packets: SetPackets(ref r, ref s, Read(ref v, length), 4); break;
            case FieldOp.PacketsTotal: SetPackets(ref r, ref s, Read(ref v, length), 3); break;
            case FieldOp.PacketsInitiator: SetPackets(ref r, ref s, Read(ref v, length), 2); break;
            case FieldOp.PacketsOut: SetPackets(ref r, ref s, Read(ref v, length), 1); break;
            case FieldOp.InputInterface: r.InputInterface = (uint)Read(ref v, length); r.Present |= FlowFields.InputInterface; break;
            case FieldOp.OutputInterface: r.OutputInterface = (uint)Read(ref v, length); r.Present |= FlowFields.OutputInterface; break;
            case FieldOp.SrcAs: r.SrcAs = (uint)Read(ref v, length); r.Present |= FlowFields.AsNumbers; break;
            case FieldOp.DstAs: r.DstAs = (uint)Read(ref v, length); r.Present |= FlowFields.AsNumbers; break;
            case FieldOp.SrcMask: r.SrcMask = (byte)Read(ref v, length); r.Present |= FlowFields.Masks; break;
            case FieldOp.DstMask: r.DstMask = (byte)Read(ref v, length); r.Present |= FlowFields.Masks; break;
            case FieldOp.SrcVlan: SetVlan(ref r, ref s, Read(ref v, length), 3); break;
            case FieldOp.Dot1qVlan: SetVlan(ref r, ref s, Read(ref v, length), 2); break;
            case FieldOp.DstVlan: SetVlan(ref r, ref s, Read(ref v, length), 1); break;
            case FieldOp.IcmpTypeCode:
            case FieldOp.IcmpTypeCodeV6:
            {
                ulong tc = Read(ref v, length);
                r.IcmpType = (byte)(tc >> 8);
                r.IcmpCode = (byte)tc;
                s.HasIcmp = true;
                break;
            }
            case FieldOp.IcmpType:
            case FieldOp.IcmpTypeV6: r.IcmpType = (byte)Read(ref v, length); s.HasIcmp = true; break;
            case FieldOp.IcmpCode:
            case FieldOp.IcmpCodeV6: r.IcmpCode = (byte)Read(ref v, length); s.HasIcmp = true; break;
            case FieldOp.Direction: r.Direction = Read(ref v, length) == 0 ? FlowDirection.Ingress : FlowDirection.Egress; r.Present |= FlowFields.Direction; break;
            case FieldOp.FlowEndReason: r.FlowEndReason = (byte)Read(ref v, length); r.Present |= FlowFields.FlowEndReason; break;
            case FieldOp.FirewallEvent: r.FirewallEvent = (byte)Read(ref v, length); r.Present |= FlowFields.FirewallEvent; break;
            case FieldOp.FirewallEventLegacy:
                if ((r.Present & FlowFields.FirewallEvent) == 0)
                {
                    r.FirewallEvent = (byte)Read(ref v, length);
                    r.Present |= FlowFields.FirewallEvent;
                }

                break;
            case FieldOp.StartUptime: s.StartRel = (uint)Read(ref v, length); s.HasStartRel = true; break;
            case FieldOp.EndUptime: s.EndRel = (uint)Read(ref v, length); s.HasEndRel = true; break;
            case FieldOp.StartSeconds: s.StartAbs = Sat(Read(ref v, length), 1000); s.HasStartAbs = true; break;
            case FieldOp.EndSeconds: s.EndAbs = Sat(Read(ref v, length), 1000); s.HasEndAbs = true; break;
            case FieldOp.StartMilliseconds: s.StartAbs = Sat(Read(ref v, length), 1); s.HasStartAbs = true; break;
            case FieldOp.EndMilliseconds: s.EndAbs = Sat(Read(ref v, length), 1); s.HasEndAbs = true; break;
            case FieldOp.StartMicroseconds:
            case FieldOp.StartNanoseconds: s.StartAbs = NtpToUnixMs(ref v); s.HasStartAbs = true; break;
            case FieldOp.EndMicroseconds:
            case FieldOp.EndNanoseconds: s.EndAbs = NtpToUnixMs(ref v); s.HasEndAbs = true; break;
            case FieldOp.StartDeltaMicroseconds: s.StartDeltaUs = Read(ref v, length); s.HasStartDelta = true; break;
            case FieldOp.EndDeltaMicroseconds: s.EndDeltaUs = Read(ref v, length); s.HasEndDelta = true; break;
            case FieldOp.ObservationTimeMilliseconds: s.Observation = Sat(Read(ref v, length), 1); s.HasObservation = true; break;
            case FieldOp.SystemInitTimeMilliseconds: s.InitMs = Sat(Read(ref v, length), 1); s.HasInit = true; break;
            case FieldOp.SamplerId: s.SamplerId = (uint)Read(ref v, length); s.HasSampler = true; break;
            case FieldOp.SamplingInterval: s.Interval = Read(ref v, length); break;
            case FieldOp.SamplingSpace: s.Space = Read(ref v, length); s.HasSpace = true; break;
        }
    }

    private void Finish(ref FlowRecord r, ref Scratch s, in RecordContext ctx)
    {
        r.Exporter = ctx.Exporter;
        r.Version = ctx.Version;
        r.ObservationDomain = ctx.Domain;

        if ((s.Families & (SrcV6Bit | DstV6Bit | HopV6Bit)) != 0) ResolveFamilies(ref r, ref s);

        // Juniper sends ingressPhysicalInterface/egressPhysicalInterface (252/253) instead of 10/14.
        if (s.HasPhysicalIn && (r.Present & FlowFields.InputInterface) == 0)
        {
            r.InputInterface = s.PhysicalIn;
            r.Present |= FlowFields.InputInterface;
        }

        if (s.HasPhysicalOut && (r.Present & FlowFields.OutputInterface) == 0)
        {
            r.OutputInterface = s.PhysicalOut;
            r.Present |= FlowFields.OutputInterface;
        }

        // ICMP type/code only mean something for ICMP; some exporters send field 32 as zero on every flow.
        if (s.HasIcmp)
        {
            if (r.Protocol is 1 or 58) r.Present |= FlowFields.Icmp;
            else { r.IcmpType = 0; r.IcmpCode = 0; }
        }
        else if (r.Protocol is 1 or 58 && (r.Present & FlowFields.Ports) != 0 && r.SrcPort == 0)
        {
            // Cisco's convention without field 32: ICMP type × 256 + code in the destination port (as in v5).
            r.IcmpType = (byte)(r.DstPort >> 8);
            r.IcmpCode = (byte)r.DstPort;
            r.Present |= FlowFields.Icmp;
        }

        // Some exporters put systemInitTimeMilliseconds (160) in the flow record itself rather than in options.
        long init = s.HasInit ? s.InitMs : ctx.State.SystemInitMs;
        bool hasStart = ResolveTime(s.HasStartAbs, s.StartAbs, s.HasStartRel, s.StartRel, s.HasStartDelta, s.StartDeltaUs, init, in ctx, out long start);
        bool hasEnd = ResolveTime(s.HasEndAbs, s.EndAbs, s.HasEndRel, s.EndRel, s.HasEndDelta, s.EndDeltaUs, init, in ctx, out long end);
        if (s.HasObservation)
        {
            // Cisco ASA NSEL: flow-create time in 152 (if at all) and the event time in 323; a teardown event's
            // time is when the flow ended.
            if (!hasEnd) { end = s.Observation; hasEnd = true; }
            if (!hasStart) { start = s.Observation; hasStart = true; }
        }

        if (hasStart || hasEnd)
        {
            r.StartMs = hasStart ? start : end;
            r.EndMs = hasEnd ? end : start;
            r.Present |= FlowFields.Times;
        }

        uint announced = 0;
        if (s.Interval != 0)
        {
            ulong rate = s.HasSpace ? (s.Interval + s.Space) / s.Interval : s.Interval;
            announced = rate > uint.MaxValue ? uint.MaxValue : (uint)rate;
        }

        if (s.HasSampler)
        {
            r.SamplerId = s.SamplerId;
            r.Present |= FlowFields.SamplerId;
            if (announced == 0) announced = ctx.State.RateFor(s.SamplerId);
        }

        if (announced == 0) announced = ctx.State.DefaultRate;
        r.SamplingRate = ctx.Sampling.Resolve(ctx.Exporter, announced);
    }

    /// <summary>
    /// Picks IPv4 or IPv6 for the source, destination and next hop when the template carries IPv6 elements (27, 28,
    /// 62). With only one family present it is taken; with both, the one that is set (non-zero), and when both are set,
    /// the one that matches ipVersion (60) if the record has it, else IPv4 (Juniper MX and Procera/Sandvine zero the
    /// unused family).
    /// </summary>
    private static void ResolveFamilies(ref FlowRecord r, ref Scratch s)
    {
        if (PickV6(s.Families, SrcV4Bit, SrcV6Bit, r.SrcAddr, s.SrcV6, s.IpVersion)) r.SrcAddr = s.SrcV6;
        if (PickV6(s.Families, DstV4Bit, DstV6Bit, r.DstAddr, s.DstV6, s.IpVersion)) r.DstAddr = s.DstV6;
        if ((s.Families & HopV6Bit) != 0 && s.NextHopRank <= 2 && PickV6(s.Families, HopV4Bit, HopV6Bit, r.NextHop, s.NextHopV6, s.IpVersion))
        {
            SetNextHop(ref r, ref s, s.NextHopV6, 2);
        }
    }

    private static bool PickV6(byte families, byte v4Bit, byte v6Bit, FlowAddress v4, FlowAddress v6, byte ipVersion)
    {
        if ((families & v6Bit) == 0) return false;
        if ((families & v4Bit) == 0) return true;
        bool v4Set = v4.V4 != 0;
        bool v6Set = v6.Hi != 0 || v6.Lo != 0;
        if (v4Set != v6Set) return v6Set;
        return ipVersion == 6;
    }

    private static bool ResolveTime(bool hasAbs, long abs, bool hasRel, uint rel, bool hasDelta, ulong deltaUs, long init, in RecordContext ctx, out long ms)
    {
        if (hasAbs)
        {
            ms = abs;
            return true;
        }

        if (hasRel)
        {
            if (ctx.UptimeFromHeader)
            {
                // RFC 3954 §5.2: first/last switched are sysUpTime ms. The signed 32-bit difference keeps flows that
                // started before sysUpTime wrapped at 2^32 ms (49.7 days) in the past.
                ms = ctx.ExportTimeMs - unchecked((int)(ctx.SysUpTimeMs - rel));
                return true;
            }

            if (init >= 0)
            {
                ms = init + rel;
                return true;
            }
        }

        if (hasDelta && deltaUs <= long.MaxValue / 2)
        {
            ms = ctx.ExportTimeMs - (long)(deltaUs / 1000);
            return true;
        }

        ms = 0;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetBytes(ref FlowRecord r, ref Scratch s, ulong value, sbyte rank)
    {
        if (rank < s.BytesRank) return;
        s.BytesRank = rank;
        r.Bytes = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetPackets(ref FlowRecord r, ref Scratch s, ulong value, sbyte rank)
    {
        if (rank < s.PacketsRank) return;
        s.PacketsRank = rank;
        r.Packets = value;
    }

    private static void SetVlan(ref FlowRecord r, ref Scratch s, ulong value, sbyte rank)
    {
        if (rank < s.VlanRank) return;
        s.VlanRank = rank;
        r.Vlan = (ushort)value;
        r.Present |= FlowFields.Vlan;
    }

    private static void SetNextHop(ref FlowRecord r, ref Scratch s, FlowAddress value, sbyte rank)
    {
        if (rank < s.NextHopRank) return;
        s.NextHopRank = rank;
        r.NextHop = value;
        r.Present |= FlowFields.NextHop;
    }

    private static long Sat(ulong value, long multiplier) =>
        value > (ulong)(long.MaxValue / multiplier) ? long.MaxValue : (long)value * multiplier;

    /// <summary>RFC 7011 §6.1.9/10: NTP seconds since 1900 and a binary fraction, to Unix milliseconds.</summary>
    private static long NtpToUnixMs(ref byte v)
    {
        long seconds = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref v));
        ulong fraction = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref v, 4)));
        return (seconds - NtpToUnixSeconds) * 1000 + (long)((fraction * 1000) >> 32);
    }

    /// <summary>Reads a big-endian unsigned integer of 1–8 bytes at <paramref name="v"/> (caller guarantees the bytes exist).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read(ref byte v, int length)
    {
        switch (length)
        {
            case 1: return v;
            case 2: return BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref v));
            case 4: return BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref v));
            case 8: return BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref v));
            default:
            {
                ulong x = 0;
                for (int i = 0; i < length && i < 8; i++) x = (x << 8) | Unsafe.Add(ref v, i);
                return x;
            }
        }
    }

    /// <summary>Reads a big-endian unsigned integer of 1–8 bytes (reduced-size encoding, RFC 7011 §6.2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong ReadUnsigned(ReadOnlySpan<byte> v)
    {
        switch (v.Length)
        {
            case 1: return v[0];
            case 2: return BinaryPrimitives.ReadUInt16BigEndian(v);
            case 4: return BinaryPrimitives.ReadUInt32BigEndian(v);
            case 8: return BinaryPrimitives.ReadUInt64BigEndian(v);
            default:
            {
                ulong x = 0;
                int start = v.Length > 8 ? v.Length - 8 : 0;
                for (int i = start; i < v.Length; i++) x = (x << 8) | v[i];
                return x;
            }
        }
    }
}
