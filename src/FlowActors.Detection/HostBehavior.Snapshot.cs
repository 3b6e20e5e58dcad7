using FlowActors.Protocols;

namespace FlowActors.Detection;

public sealed partial class HostBehavior
{
    private const ushort SnapshotMagic = 0x4846; // "FH"
    private const byte SnapshotVersion = 2;

    /// <summary>Oldest snapshot version still restored (version 1: before connection loops, scan accumulation and upload floors).</summary>
    private const byte OldestSnapshotVersion = 1;

    /// <summary>Exact size in bytes of the snapshot <see cref="WriteSnapshot"/> would write now.</summary>
    public int SnapshotSize
    {
        get
        {
            var w = new SnapshotWriter(default, measure: true);
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
        var w = new SnapshotWriter(destination, measure: false);
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

    /// <summary>Rebuilds a host state that weighs <paramref name="prevalence"/> from a snapshot written by <see cref="WriteSnapshot"/> (this version or version 1).</summary>
    /// <exception cref="InvalidDataException">The snapshot is truncated, corrupt or of an unknown version.</exception>
    public static HostBehavior Restore(ReadOnlySpan<byte> snapshot, FlowAddress host, DetectionSettings settings, ThreatIntelSet? intel, IDestinationPrevalence? prevalence)
    {
        var h = new HostBehavior(host, settings, intel, prevalence);
        var r = new SnapshotReader(snapshot);
        h.Read(ref r);
        if (!r.AtEnd) throw new InvalidDataException("Snapshot has trailing bytes.");
        return h;
    }

    private void Write(ref SnapshotWriter w)
    {
        w.U16(SnapshotMagic);
        w.U8(SnapshotVersion);
        w.I64(_c.WindowMs);
        w.I64(_firstSeenMs);
        w.I64(_watermark);
        w.I64(_nextClose);
        w.I64(LateObservations);
        w.I64(IgnoredObservations);
        w.I32(_windows);
        for (int i = 0; i < F; i++)
        {
            w.F32(_mean[i]);
            w.F32(_var[i]);
            w.U16(_featureWindows[i]);
            w.F32(_median[i]);
            w.F32(_p95[i]);
        }

        if (_hourRing is null)
        {
            w.I32(0);
        }
        else
        {
            w.I32(_hourRing.Length);
            foreach (uint v in _hourRing) w.U32(v);
            w.I32(_hourPosition);
        }

        WriteWindow(ref w, _a);
        WriteWindow(ref w, _b);
        w.Bool(_beacons is not null);
        _beacons?.Write(ref w);
        w.Bool(_adminHistory is not null);
        _adminHistory?.Write(ref w);
        w.Bool(_portHistory is not null);
        _portHistory?.Write(ref w);
        w.Bool(_authHistory is not null);
        _authHistory?.Write(ref w);
        w.Bool(_suppression is not null);
        if (_suppression is not null)
        {
            foreach (var s in _suppression)
            {
                w.I64(s.EpisodeStartMs);
                w.I64(s.LastEndMs);
                w.I32(s.Count);
            }
        }

        // Version 2.
        w.Bool(_loops is not null);
        _loops?.Write(ref w);
        w.Bool(_scans is not null);
        _scans?.Write(ref w);
        w.Bool(_uploads is not null);
        _uploads?.Write(ref w);
    }

    private static void WriteWindow(ref SnapshotWriter w, WindowState? window)
    {
        w.Bool(window is not null);
        window?.Write(ref w);
    }

    private static WindowState? ReadWindow(ref SnapshotReader r, byte version)
    {
        if (!r.Bool()) return null;
        var window = new WindowState();
        window.Read(ref r, version);
        if (window.Index < 0) throw new InvalidDataException("Snapshot holds an open window without an index.");
        return window;
    }

    private void Read(ref SnapshotReader r)
    {
        if (r.U16() != SnapshotMagic) throw new InvalidDataException("Not a host behaviour snapshot.");
        byte version = r.U8();
        if (version is < OldestSnapshotVersion or > SnapshotVersion) throw new InvalidDataException($"Unknown host behaviour snapshot version {version}.");
        long windowMs = r.I64();
        if (windowMs != _c.WindowMs)
        {
            throw new InvalidDataException($"Snapshot was taken with Detection:Window = {windowMs} ms, settings now say {_c.WindowMs} ms.");
        }

        _firstSeenMs = r.I64();
        _watermark = r.I64();
        _nextClose = r.I64();
        LateObservations = r.I64();
        IgnoredObservations = r.I64();
        _windows = r.I32();
        for (int i = 0; i < F; i++)
        {
            _mean[i] = r.F32();
            _var[i] = r.F32();
            _featureWindows[i] = r.U16();
            _median[i] = r.F32();
            _p95[i] = r.F32();
        }

        int ring = r.Count(100_000);
        if (ring > 0)
        {
            if (ring != _c.HourWindows) throw new InvalidDataException("Snapshot hour ring does not match the window length.");
            _hourRing = new uint[ring];
            for (int i = 0; i < ring; i++) _hourRing[i] = r.U32();
            _hourPosition = r.I32();
            if ((uint)_hourPosition >= (uint)ring) throw new InvalidDataException("Snapshot hour position out of range.");
        }

        _a = ReadWindow(ref r, version);
        _b = ReadWindow(ref r, version);
        if (r.Bool()) _beacons = BeaconTable.Read(ref r, _c.Source.Beaconing.MaxTrackedPeers, version);
        if (r.Bool()) _adminHistory = LruSet.Read(ref r, _c.Source.LateralMovement.MaxHistory);
        if (r.Bool()) _portHistory = LruSet.Read(ref r, _c.Source.RarePort.MaxHistory);
        if (r.Bool()) _authHistory = LruSet.Read(ref r, AuthHistoryCap);
        if (r.Bool())
        {
            _suppression = new SuppressionSlot[DetectorCount * 2];
            // Version 1 knew 11 detectors; the slots of detectors added since start empty.
            int slots = version == 1 ? 22 : _suppression.Length;
            for (int i = 0; i < slots; i++)
            {
                _suppression[i].EpisodeStartMs = r.I64();
                _suppression[i].LastEndMs = r.I64();
                _suppression[i].Count = r.I32();
            }
        }

        if (version < 2) return;
        if (r.Bool()) _loops = LoopTable.Read(ref r, _c.Source.ConnectionLoop.MaxTracked);
        if (r.Bool()) _scans = ScanAccumulator.Read(ref r, _c.Source.InboundScan.MaxTrackedSources);
        if (r.Bool()) _uploads = UploadTable.Read(ref r, _c.FloorWindows);
    }
}
