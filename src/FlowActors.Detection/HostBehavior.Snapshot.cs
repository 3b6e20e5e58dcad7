using FlowActors.Protocols;

namespace FlowActors.Detection;

public sealed partial class HostBehavior
{
    private const ushort SnapshotMagic = 0x4846; // "FH"

    /// <summary>Version 3: tagged sections (<see cref="Section"/>); an unknown section is skipped, a missing one starts empty.</summary>
    private const byte SnapshotVersion = 3;

    /// <summary>Oldest snapshot version still restored (1 and 2 are positional; see <see cref="ReadPositional"/>).</summary>
    private const byte OldestSnapshotVersion = 1;

    /// <summary>Layout version of the structures inside version 3's sections (windows, beacon tables): that of version 2.</summary>
    private const byte SectionLayoutVersion = 2;

    /// <summary>Suppression slots in a version 2 snapshot (13 detectors, actor and target), which does not write the count.</summary>
    private const int PositionalSuppressionSlots = 26;

    /// <summary>
    /// Section tags of snapshot version 3 (a persisted format: never reuse or renumber one). A section a newer writer
    /// appended fields to is read as far as this version knows it; one it added is skipped.
    /// </summary>
    private enum Section : ushort
    {
        Clock = 1,
        Features = 2,
        HourRing = 3,
        WindowA = 4,
        WindowB = 5,
        Beacons = 6,
        AdminHistory = 7,
        PortHistory = 8,
        AuthHistory = 9,
        Suppression = 10,
        Loops = 11,
        Scans = 12,
        Uploads = 13,
    }

    /// <summary>Exact size in bytes of the snapshot <see cref="WriteSnapshot"/> would write now.</summary>
    public int SnapshotSize
    {
        get
        {
            var w = LittleEndianWriter.Measuring();
            Write(ref w);
            return w.Position;
        }
    }

    /// <summary>
    /// Writes the complete state (compact little-endian binary) into <paramref name="destination"/> and returns the
    /// bytes written. <c>Restore</c> rebuilds a state that behaves identically.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is smaller than <see cref="SnapshotSize"/>.</exception>
    public int WriteSnapshot(Span<byte> destination)
    {
        var w = LittleEndianWriter.Into(destination);
        Write(ref w);
        return w.Position;
    }

    /// <summary>The snapshot as a new array (convenience for persistence).</summary>
    public byte[] ToSnapshot()
    {
        var bytes = new byte[SnapshotSize];
        WriteSnapshot(bytes);
        return bytes;
    }

    /// <summary>Rebuilds a host state from a snapshot written by <see cref="WriteSnapshot"/>.</summary>
    /// <exception cref="InvalidDataException">The snapshot is truncated, corrupt or of an unknown version.</exception>
    public static HostBehavior Restore(ReadOnlySpan<byte> snapshot, FlowAddress host, DetectionSettings settings, ThreatIntelSet? intel = null) =>
        Restore(snapshot, host, settings, intel, null);

    /// <summary>Rebuilds a host state that weighs <paramref name="prevalence"/> from a snapshot written by <see cref="WriteSnapshot"/> (this version or an older one).</summary>
    /// <exception cref="InvalidDataException">The snapshot is truncated, corrupt or of an unknown version.</exception>
    public static HostBehavior Restore(ReadOnlySpan<byte> snapshot, FlowAddress host, DetectionSettings settings, ThreatIntelSet? intel, IDestinationPrevalence? prevalence)
    {
        var h = new HostBehavior(host, settings, intel, prevalence);
        var r = new LittleEndianReader(snapshot);
        h.Read(ref r);
        if (!r.AtEnd) throw new InvalidDataException("Snapshot has trailing bytes.");
        return h;
    }

    private void Write(ref LittleEndianWriter w)
    {
        w.U16(SnapshotMagic);
        w.U8(SnapshotVersion);

        int at = w.BeginSection((ushort)Section.Clock);
        w.I64(_c.WindowMs);
        w.I64(_firstSeenMs);
        w.I64(_watermark);
        w.I64(_nextClose);
        w.I64(LateObservations);
        w.I64(IgnoredObservations);
        w.I32(_windows);
        w.EndSection(at);

        at = w.BeginSection((ushort)Section.Features);
        w.I32(F);
        for (int i = 0; i < F; i++)
        {
            w.F32(_mean[i]);
            w.F32(_var[i]);
            w.U16(_featureWindows[i]);
            w.F32(_median[i]);
            w.F32(_p95[i]);
        }
        w.EndSection(at);

        if (_hourRing is not null)
        {
            at = w.BeginSection((ushort)Section.HourRing);
            w.I32(_hourRing.Length);
            foreach (uint v in _hourRing) w.U32(v);
            w.I32(_hourPosition);
            w.EndSection(at);
        }

        WritePart(ref w, Section.WindowA, _a);
        WritePart(ref w, Section.WindowB, _b);
        WritePart(ref w, Section.Beacons, _beacons);
        WritePart(ref w, Section.AdminHistory, _adminHistory);
        WritePart(ref w, Section.PortHistory, _portHistory);
        WritePart(ref w, Section.AuthHistory, _authHistory);

        if (_suppression is not null)
        {
            at = w.BeginSection((ushort)Section.Suppression);
            w.I32(_suppression.Length);
            foreach (var s in _suppression)
            {
                w.I64(s.EpisodeStartMs);
                w.I64(s.LastEndMs);
                w.I32(s.Count);
            }
            w.EndSection(at);
        }

        WritePart(ref w, Section.Loops, _loops);
        WritePart(ref w, Section.Scans, _scans);
        WritePart(ref w, Section.Uploads, _uploads);
    }

    /// <summary>A table or window as its own section, when the host has one (by type: no delegate, no allocation).</summary>
    private static void WritePart(ref LittleEndianWriter w, Section tag, object? part)
    {
        if (part is null) return;
        int at = w.BeginSection((ushort)tag);
        switch (part)
        {
            case WindowState x: x.Write(ref w); break;
            case BeaconTable x: x.Write(ref w); break;
            case LruSet x: x.Write(ref w); break;
            case LoopTable x: x.Write(ref w); break;
            case ScanAccumulator x: x.Write(ref w); break;
            case UploadTable x: x.Write(ref w); break;
            default: throw new InvalidOperationException($"No snapshot section writer for {part.GetType().Name}.");
        }
        w.EndSection(at);
    }

    private static WindowState? ReadWindow(ref LittleEndianReader r, byte version) => r.Bool() ? ReadWindowBody(ref r, version) : null;

    private static WindowState ReadWindowBody(ref LittleEndianReader r, byte version)
    {
        var window = new WindowState();
        window.Read(ref r, version);
        if (window.Index < 0) throw new InvalidDataException("Snapshot holds an open window without an index.");
        return window;
    }

    private void Read(ref LittleEndianReader r)
    {
        if (r.U16() != SnapshotMagic) throw new InvalidDataException("Not a host behaviour snapshot.");
        byte version = r.U8();
        if (version is < OldestSnapshotVersion or > SnapshotVersion) throw new InvalidDataException($"Unknown host behaviour snapshot version {version}.");
        if (version >= 3) ReadSections(ref r);
        else ReadPositional(ref r, version);
    }

    private void CheckWindow(long windowMs)
    {
        if (windowMs != _c.WindowMs)
        {
            throw new InvalidDataException($"Snapshot was taken with Detection:Window = {windowMs} ms, settings now say {_c.WindowMs} ms.");
        }
    }

    private void ReadHourRing(ref LittleEndianReader r, int ring)
    {
        if (ring != _c.HourWindows) throw new InvalidDataException("Snapshot hour ring does not match the window length.");
        _hourRing = new uint[ring];
        for (int i = 0; i < ring; i++) _hourRing[i] = r.U32();
        _hourPosition = r.I32();
        if ((uint)_hourPosition >= (uint)ring) throw new InvalidDataException("Snapshot hour position out of range.");
    }

    private void ReadSuppression(ref LittleEndianReader r, int slots)
    {
        // Slots of detectors added since the snapshot was written start empty; those of detectors this version no longer has are skipped.
        _suppression = new SuppressionSlot[DetectorCount * 2];
        for (int i = 0; i < slots; i++)
        {
            long start = r.I64(), lastEnd = r.I64();
            int count = r.I32();
            if (i < _suppression.Length) _suppression[i] = new SuppressionSlot { EpisodeStartMs = start, LastEndMs = lastEnd, Count = count };
        }
    }

    private void ReadFeature(ref LittleEndianReader r, int i)
    {
        _mean[i] = r.F32();
        _var[i] = r.F32();
        _featureWindows[i] = r.U16();
        _median[i] = r.F32();
        _p95[i] = r.F32();
    }

    /// <summary>Version 3: tagged sections in any order; unknown ones skipped, each known once at most, the clock required.</summary>
    private void ReadSections(ref LittleEndianReader r)
    {
        uint seen = 0;
        while (r.NextSection(out ushort tag, out var s))
        {
            if (tag is 0 or > 31 || !Enum.IsDefined((Section)tag)) continue;
            if ((seen & (1u << tag)) != 0) throw new InvalidDataException($"Snapshot holds section {(Section)tag} twice.");
            seen |= 1u << tag;
            switch ((Section)tag)
            {
                case Section.Clock:
                    CheckWindow(s.I64());
                    _firstSeenMs = s.I64();
                    _watermark = s.I64();
                    _nextClose = s.I64();
                    LateObservations = s.I64();
                    IgnoredObservations = s.I64();
                    _windows = s.I32();
                    break;
                case Section.Features:
                {
                    int count = s.Count(10_000);
                    for (int i = 0; i < count; i++)
                    {
                        if (i < F) ReadFeature(ref s, i);
                        else s.Skip(18);
                    }
                    break;
                }
                case Section.HourRing:
                    ReadHourRing(ref s, s.Count(100_000));
                    break;
                case Section.WindowA:
                    _a = ReadWindowBody(ref s, SectionLayoutVersion);
                    break;
                case Section.WindowB:
                    _b = ReadWindowBody(ref s, SectionLayoutVersion);
                    break;
                case Section.Beacons:
                    _beacons = BeaconTable.Read(ref s, _c.Source.Beaconing.MaxTrackedPeers, SectionLayoutVersion);
                    break;
                case Section.AdminHistory:
                    _adminHistory = LruSet.Read(ref s, _c.Source.LateralMovement.MaxHistory);
                    break;
                case Section.PortHistory:
                    _portHistory = LruSet.Read(ref s, _c.Source.RarePort.MaxHistory);
                    break;
                case Section.AuthHistory:
                    _authHistory = LruSet.Read(ref s, AuthHistoryCap);
                    break;
                case Section.Suppression:
                    ReadSuppression(ref s, s.Count(10_000));
                    break;
                case Section.Loops:
                    _loops = LoopTable.Read(ref s, _c.Source.ConnectionLoop.MaxTracked);
                    break;
                case Section.Scans:
                    _scans = ScanAccumulator.Read(ref s, _c.Source.InboundScan.MaxTrackedSources);
                    break;
                case Section.Uploads:
                    _uploads = UploadTable.Read(ref s, _c.FloorWindows);
                    break;
            }
        }

        if ((seen & (1u << (int)Section.Clock)) == 0) throw new InvalidDataException("Snapshot has no clock section.");
    }

    /// <summary>Versions 1 and 2: fields in a fixed order (version 1 stops before connection loops, scan accumulation and upload floors).</summary>
    private void ReadPositional(ref LittleEndianReader r, byte version)
    {
        CheckWindow(r.I64());
        _firstSeenMs = r.I64();
        _watermark = r.I64();
        _nextClose = r.I64();
        LateObservations = r.I64();
        IgnoredObservations = r.I64();
        _windows = r.I32();
        for (int i = 0; i < F; i++) ReadFeature(ref r, i);

        int ring = r.Count(100_000);
        if (ring > 0) ReadHourRing(ref r, ring);

        _a = ReadWindow(ref r, version);
        _b = ReadWindow(ref r, version);
        if (r.Bool()) _beacons = BeaconTable.Read(ref r, _c.Source.Beaconing.MaxTrackedPeers, version);
        if (r.Bool()) _adminHistory = LruSet.Read(ref r, _c.Source.LateralMovement.MaxHistory);
        if (r.Bool()) _portHistory = LruSet.Read(ref r, _c.Source.RarePort.MaxHistory);
        if (r.Bool()) _authHistory = LruSet.Read(ref r, AuthHistoryCap);
        // Version 1 knew 11 detectors, version 2 the 13 of its day (the slots count is not written in these versions).
        if (r.Bool()) ReadSuppression(ref r, version == 1 ? 22 : PositionalSuppressionSlots);

        if (version < 2) return;
        if (r.Bool()) _loops = LoopTable.Read(ref r, _c.Source.ConnectionLoop.MaxTracked);
        if (r.Bool()) _scans = ScanAccumulator.Read(ref r, _c.Source.InboundScan.MaxTrackedSources);
        if (r.Bool()) _uploads = UploadTable.Read(ref r, _c.FloorWindows);
    }
}
