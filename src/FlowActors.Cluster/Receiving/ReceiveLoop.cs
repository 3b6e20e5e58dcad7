using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using FlowActors.Cluster.Messages;
using FlowActors.Detection;
using FlowActors.Cluster.Sharding;
using FlowActors.Protocols;
using FlowActors.Protocols.Templates;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// One UDP socket read by one dedicated thread: receive into a pooled buffer, check the exporter allowlist,
/// decode, classify both ends, append observations to the per-shard batcher, flush on the tick. Nothing is allocated
/// per record; the only queue between the socket and the shard region is the kernel's receive buffer.
/// </summary>
internal sealed class ReceiveLoop : IDisposable
{
    private const int MaxDatagram = 65_535;
    private static readonly long ExpireEveryMs = 10_000;
    private static readonly long PublishStatsEveryMs = 1_000;

    private static readonly long TemplateLogEveryMs = 60_000;

    /// <summary>
    /// Flow times further ahead of the receive clock than this are an exporter clock error. Detection runs on event
    /// time, so one such record would push a host's clock ahead and make its normal traffic "late"; such records are
    /// re-stamped to the receive time (duration kept), and a start after the end is repaired (see <see cref="EventTimeGuard"/>).
    /// </summary>
    internal const long FutureToleranceMs = EventTimeGuard.DefaultFutureToleranceMs;

    private readonly Socket _socket;
    private readonly FlowActorsClusterOptions _options;
    private readonly NetworkClassifier _classifier;
    private readonly ExporterAllowlist _allowlist;
    private readonly FlowDecoder _decoder;
    private readonly FlowRecordBuffer _records;
    private readonly ShardBatcher _batcher;
    private readonly IActorRef _replicator;
    private readonly TemplateExchange _exchange;
    private readonly ConcurrentQueue<TemplateBlob> _imports;
    private readonly ILoggingAdapter _log;
    private readonly Thread _thread;
    private readonly long _flushEveryMs;
    private volatile bool _stopping;
    private readonly EventTimeGuard _times = new(FutureToleranceMs);
    private readonly RefusedExporterTable _refused = new();
    private readonly KernelDrops? _kernelDrops;
    private long _kernelDropsAtStart = -1, _kernelDropped;
    private long _loggedTemplatePressure, _countedTemplatePressure, _lastTemplateLogMs = long.MinValue;
    private RefusedExporter[] _refusedReports = [];
    private readonly long _refreshOfferEveryMs;
    private readonly Action<Exception?>? _died;
    private long _lastRefreshOfferMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    // Counters written by the loop thread only; read by others (64-bit reads are atomic on 64-bit runtimes).
    private long _datagrams, _bytes, _recordCount, _observations, _decodeErrors, _notAllowed, _outputFull, _futureTimes;
    private long _loggedHeld, _loggedReleased, _loggedDroppedHeld;
    private long _loggedOverload, _loggedOutputFull, _loggedErrors, _loggedFutureTimes, _loggedRepairedTimes;
    private ExporterReport[] _exporterReports = [];
    private readonly KeyValuePair<string, object?> _portTag;
    private readonly PublishedCounts _published = new();
    private readonly int _ringBuffers, _ringBufferBytes;
    private bool _loggedTruncation;

    public ReceiveLoop(Socket socket, FlowActorsClusterOptions options, NetworkClassifier classifier, ExporterAllowlist allowlist,
        IActorRef region, HostMessageExtractor extractor, InFlightBudget inFlight, IActorRef replicator, TemplateExchange exchange, ILoggingAdapter log, string name,
        Action<Exception?>? died = null, int ringBuffers = 0, int ringBufferBytes = ReceiverPortOptions.DefaultRingBufferBytes)
    {
        _died = died;
        _ringBuffers = ringBuffers;
        _ringBufferBytes = ringBufferBytes;
        _socket = socket;
        _options = options;
        _classifier = classifier;
        _allowlist = allowlist;
        _decoder = new FlowDecoder(options.Decoder);
        _records = new FlowRecordBuffer(1024, 8192);
        _batcher = new ShardBatcher(region, extractor, inFlight, options.BatchSize, options.InFlightWait, () => _stopping, ShardHomes.For(region, extractor.MaxNumberOfShards));
        _replicator = replicator;
        _exchange = exchange;
        _imports = exchange.Register();
        _log = log;
        _flushEveryMs = Math.Max(1, (long)options.FlushInterval.TotalMilliseconds);
        // The receive timeout wakes an idle loop so pending batches still go out on the tick.
        _socket.ReceiveTimeout = (int)Math.Max(1, _flushEveryMs);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _kernelDrops = KernelDrops.For(socket);
        _portTag = new KeyValuePair<string, object?>("port", ((IPEndPoint)socket.LocalEndPoint!).Port);
        _refreshOfferEveryMs = Math.Max(ExpireEveryMs, (long)options.Decoder.TemplateMaxAge.TotalMilliseconds / 4);
        if (_kernelDrops is not null && _kernelDrops.TryRead(out long drops)) _kernelDropsAtStart = drops;
    }

    public long Datagrams => Volatile.Read(ref _datagrams);
    public long Bytes => Volatile.Read(ref _bytes);
    public long Records => Volatile.Read(ref _recordCount);
    public long Observations => Volatile.Read(ref _observations);
    public long DecodeErrors => Volatile.Read(ref _decodeErrors);
    public long DroppedNotAllowed => Volatile.Read(ref _notAllowed);
    public long DroppedOutputFull => Volatile.Read(ref _outputFull);
    public long DroppedOverload => _batcher.DroppedOverload;
    public long BatchesSent => _batcher.BatchesSent;
    public long ObservationsSent => _batcher.ObservationsSent;

    /// <summary>Observations held for shards whose home member is unreachable (sent when it is reachable again or removed).</summary>
    public long HeldObservations => _batcher.HeldObservations;

    /// <summary>Observations dropped because there was no in-flight room to hold them (counted in <see cref="DroppedOverload"/> too).</summary>
    public long DroppedHeld => _batcher.DroppedHeld;

    /// <summary>Datagrams the kernel dropped on this socket since the loop started (receive buffer full).</summary>
    public long DroppedKernel => Volatile.Read(ref _kernelDropped);

    /// <summary>Records whose start was after their end, repaired to the end.</summary>
    public long RepairedTimes => _times.StartAfterEnd;

    /// <summary>Templates refused or evicted by the template quotas.</summary>
    public long TemplatesRefused => _decoder.Templates.Rejected;

    /// <summary>Senders refused by the exporter allowlist, with counts (refreshed on the stats tick).</summary>
    public IReadOnlyList<RefusedExporter> RefusedExporters => Volatile.Read(ref _refusedReports);
    public IReadOnlyList<ExporterReport> ExporterReports => Volatile.Read(ref _exporterReports);

    /// <summary>Whether the loop's thread still runs (false once it has stopped or died on an unexpected error).</summary>
    public bool IsRunning => _thread.IsAlive && !_stopping;

    public void Start() => _thread.Start();

    private long _lastFlush, _lastExpire, _lastStats;

    private void Run()
    {
        byte[]? buffer = null;
        UdpReceiveRing? ring = null;
        _lastFlush = _lastExpire = Environment.TickCount64;
        Exception? failure = null;
        try
        {
            if (_ringBuffers > 0)
            {
                ring = UdpReceiveRing.TryCreate(_socket, _ringBuffers, _ringBufferBytes, out string? reason);
                if (ring is null) _log.Warning("UDP receive {0}: io_uring is not available ({1}); reading the socket with ordinary receives, so garbage-collection pauses must fit in its receive buffer (Receivers:RingBuffers=0 silences this)", _thread.Name, reason);
            }

            if (ring is not null)
            {
                _log.Info("UDP receive {0}: io_uring ring of {1} buffers of {2} bytes (datagrams up to {3} bytes)", _thread.Name, ring.Buffers, ring.BufferBytes, ring.MaxDatagram);
                RunRing(ring);
            }
            else
            {
                buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram);
                RunSocket(buffer);
            }
        }
        catch (Exception e)
        {
            // A bug here must not take the node down silently; the owner is told below and rebinds the port.
            failure = e;
            _log.Error(e, "Receive loop {0} failed", _thread.Name);
        }
        finally
        {
            try
            {
                _batcher.FlushAll();
                PublishReports();
                PublishCounters();
            }
            catch (Exception e)
            {
                // An exception escaping a thread's finally would end the process; the owner still has to rebind the port.
                failure ??= e;
                _log.Error(e, "Receive loop {0} failed while flushing its last batches", _thread.Name);
            }

            ring?.Dispose();
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            // Ended without Dispose (an exception, or its socket closed under it): the port is deaf until rebound.
            if (!_stopping) _died?.Invoke(failure);
        }
    }

    private void RunSocket(byte[] buffer)
    {
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_stopping)
        {
            int n = -1;
            try
            {
                n = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.Interrupted)
            {
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
            {
                _decodeErrors++;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException) when (_stopping)
            {
                break;
            }

            // Templates replicated from other nodes first: a datagram that woke us may need one that arrived meanwhile.
            DrainImports();
            if (n >= 0) Handle(buffer.AsSpan(0, n), ExporterOf(from));
            Tick();
        }
    }

    private void RunRing(UdpReceiveRing ring)
    {
        // Closing the socket does not end the kernel's receive (the ring holds the socket open), so the wait is short
        // enough for Dispose and a closed socket to be noticed at once, and at most the flush tick.
        int waitMs = (int)Math.Clamp(_flushEveryMs, 1, 100);
        while (!_stopping)
        {
            if (_socket.SafeHandle.IsClosed) break; // closed under the loop: end it, so the owner rebinds the port
            if (!ring.TryTake(out var datagram, out var sender, out int taken, out bool truncated))
            {
                ring.Wait(waitMs);
                Tick();
                continue;
            }

            DrainImports();
            HandleTaken(ring, datagram, sender, taken, truncated);
            Tick();
        }

        // Stopping: what the kernel already put in the ring was received, so it is handled before the last flush
        // rather than dropped with the ring (at most the ring's size).
        if (!_stopping) return;
        while (ring.TryTake(out var left, out var from, out int buffer, out bool cut)) HandleTaken(ring, left, from, buffer, cut);
    }

    /// <summary>Handles a datagram taken from the ring (a cut one is a decode error, logged once) and gives its buffer back.</summary>
    private void HandleTaken(UdpReceiveRing ring, ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> sender, int buffer, bool truncated)
    {
        if (truncated)
        {
            if (!_loggedTruncation)
            {
                _loggedTruncation = true;
                _log.Warning("UDP receive {0}: a datagram longer than {1} bytes was cut and dropped; raise Receivers:RingBufferBytes (e.g. 9216 for jumbo datagrams). Counted in the decode errors.", _thread.Name, ring.MaxDatagram);
            }
            _decodeErrors++;
        }
        else
        {
            Handle(datagram, ExporterOf(sender));
        }

        ring.Release(buffer);
    }

    private void Tick()
    {
        long now = Environment.TickCount64;
        if (now - _lastFlush >= _flushEveryMs)
        {
            _batcher.Flush();
            PublishCounters();
            _lastFlush = now;
        }
        if (now - _lastExpire >= ExpireEveryMs)
        {
            long wall = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _decoder.ExpireTemplates(wall);
            if (wall - _lastRefreshOfferMs >= _refreshOfferEveryMs) OfferRefreshed(wall);
            _lastExpire = now;
        }
        if (now - _lastStats >= PublishStatsEveryMs)
        {
            PublishReports();
            _lastStats = now;
        }
    }

    private void Handle(ReadOnlySpan<byte> datagram, FlowAddress exporter)
    {
        _datagrams++;
        _bytes += datagram.Length;
        long nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (!_allowlist.AllowsAll && !_allowlist.IsAllowed(exporter))
        {
            _notAllowed++;
            _refused.Refuse(exporter, nowMs);
            return;
        }
        _records.Clear();
        long dropped = _records.Dropped;
        long proofs = _decoder.Templates.Proofs;
        long decodeStart = Stopwatch.GetTimestamp();
        var result = _decoder.Decode(datagram, exporter, nowMs, _records);
        ClusterMetrics.ReceiverDecodeDuration.Record(Stopwatch.GetElapsedTime(decodeStart).TotalSeconds, _portTag);
        if (!result.IsOk) _decodeErrors++;
        _outputFull += _records.Dropped - dropped;
        // Only exporters whose data decodes are replicated, so a flood of templates from spoofed sources stays local.
        if ((result.TemplatesLearned > 0 || _decoder.Templates.Proofs != proofs) && _decoder.Templates.IsProven(exporter)) OfferTemplates(exporter);
        long future = _times.Future, repaired = _times.StartAfterEnd;
        if (_times.Check(_records.RecordsMutable, nowMs) > 0)
        {
            if (_times.Future != future) ClusterMetrics.RestampedFutureTimes.Add(_times.Future - future);
            if (_times.StartAfterEnd != repaired) ClusterMetrics.RepairedStartAfterEnd.Add(_times.StartAfterEnd - repaired);
            _futureTimes = _times.Future;
        }

        var records = _records.Records;
        _recordCount += records.Length;
        for (int i = 0; i < records.Length; i++)
        {
            var ends = _classifier.Split(in records[i], out var outbound, out var inbound);
            if ((ends & MonitoredEnds.Source) != 0)
            {
                _batcher.Add(in outbound);
                _observations++;
            }
            if ((ends & MonitoredEnds.Destination) != 0)
            {
                _batcher.Add(in inbound);
                _observations++;
            }
        }
    }

    /// <summary>The datagram's source address without allocating (IPv4-mapped IPv6 becomes IPv4).</summary>
    internal static FlowAddress ExporterOf(SocketAddress from) => ExporterOf(from.Buffer.Span, from.Family == AddressFamily.InterNetwork);

    /// <summary>The sender in a Linux sockaddr (sockaddr_in or sockaddr_in6) as the kernel wrote it.</summary>
    internal static FlowAddress ExporterOf(ReadOnlySpan<byte> sockaddr) =>
        sockaddr.Length >= 8 && System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(sockaddr) == 2 ? ExporterOf(sockaddr, true)
        : sockaddr.Length >= 24 ? ExporterOf(sockaddr, false) : default;

    private static FlowAddress ExporterOf(ReadOnlySpan<byte> b, bool v4)
    {
        if (v4) return FlowAddress.FromV4(b.Slice(4, 4));
        var v6 = b.Slice(8, 16);
        bool mapped = v6[..10].IndexOfAnyExcept((byte)0) < 0 && v6[10] == 0xFF && v6[11] == 0xFF;
        return mapped ? FlowAddress.FromV4(v6.Slice(12, 4)) : FlowAddress.FromV6(v6);
    }

    /// <summary>Sends this exporter's templates to the replicator (rare: only when the decoder learnt or replaced one).</summary>
    private void OfferTemplates(FlowAddress exporter)
    {
        var list = new List<TemplateBlob>();
        foreach (var t in _decoder.Templates.Snapshot())
        {
            if (!t.Key.Exporter.Equals(exporter)) continue;
            list.Add(Blob(t));
        }
        if (list.Count > 0) _replicator.Tell(new TemplateReplicatorActor.LocalTemplates(list), ActorRefs.NoSender);
    }

    private static TemplateBlob Blob(in TemplateInfo t) =>
        new(t.Key.Exporter, t.Key.Version, t.Key.Domain, t.Key.TemplateId, t.IsOptions, t.FieldCount, t.ScopeFieldCount, t.Definition.ToArray(), t.LastSeenMs);

    /// <summary>
    /// Tells the replicator which templates the exporters refreshed since the last time (their replicated copies'
    /// age counts from it); rare: every quarter of the template age.
    /// </summary>
    private void OfferRefreshed(long nowMs)
    {
        var list = new List<TemplateBlob>();
        foreach (var t in _decoder.Templates.Snapshot())
        {
            if (t.LastSeenMs >= _lastRefreshOfferMs && _decoder.Templates.IsProven(t.Key.Exporter)) list.Add(Blob(t));
        }
        _lastRefreshOfferMs = nowMs;
        if (list.Count > 0) _replicator.Tell(new TemplateReplicatorActor.LocalTemplates(list), ActorRefs.NoSender);
    }

    private void DrainImports()
    {
        if (_imports.IsEmpty) return;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (_imports.TryDequeue(out var t))
        {
            var key = new TemplateKey(t.Exporter, t.Version, t.Domain, t.TemplateId);
            _decoder.Templates.Import(in key, t.IsOptions, t.FieldCount, t.ScopeFieldCount, t.Definition, now);
        }
    }

    private void PublishReports()
    {
        // Overload and bad input are counted per record; a log line at most once a second says that it happens.
        long overload = _batcher.DroppedOverload, outputFull = _outputFull, errors = _decodeErrors;
        if (overload != _loggedOverload || outputFull != _loggedOutputFull)
        {
            _log.Warning("Receiver {0}: dropping under overload ({1} observations while {2} were already in flight to the host shards for {3} ms, {4} records over the output buffer, in total)",
                _thread.Name, overload, _options.MaxInFlightObservations, (long)_options.InFlightWait.TotalMilliseconds, outputFull);
            _loggedOverload = overload;
            _loggedOutputFull = outputFull;
        }
        if (_futureTimes != _loggedFutureTimes)
        {
            _log.Warning("Receiver {0}: {1} records stamped more than {2} min ahead of this node's clock were re-stamped to the receive time (exporter clock wrong?)",
                _thread.Name, _futureTimes, FutureToleranceMs / 60_000);
            _loggedFutureTimes = _futureTimes;
        }
        if (_times.StartAfterEnd != _loggedRepairedTimes)
        {
            _log.Warning("Receiver {0}: {1} records started after they ended; their start was set to their end (exporter bug or forged flows?)",
                _thread.Name, _times.StartAfterEnd);
            _loggedRepairedTimes = _times.StartAfterEnd;
        }
        LogHeld();
        LogTemplatePressure();
        ReadKernelDrops();
        Volatile.Write(ref _refusedReports, _refused.Snapshot());
        if (errors != _loggedErrors)
        {
            _log.Info("Receiver {0}: {1} datagrams with decode errors so far", _thread.Name, errors);
            _loggedErrors = errors;
        }

        var exporters = _decoder.Exporters.Snapshot();
        var reports = new ExporterReport[exporters.Count];
        for (int i = 0; i < reports.Length; i++)
        {
            var e = exporters[i];
            reports[i] = new ExporterReport(e.Exporter.ToString(), e.Datagrams, e.Records, e.ErrorDatagrams, e.TemplatesLearned, e.Undecodable, e.LastSeenMs);
        }
        Volatile.Write(ref _exporterReports, reports);
    }

    /// <summary>A log line (at most once a second, on the stats tick) while batches wait for an unreachable member's shards, and when they are released.</summary>
    private void LogHeld()
    {
        long held = _batcher.HeldObservations + _batcher.HeldPendingObservations(), released = _batcher.ReleasedHeld, dropped = _batcher.DroppedHeld;
        if (held == _loggedHeld && released == _loggedReleased && dropped == _loggedDroppedHeld) return;
        _log.Warning("Receiver {0}: {1} observations wait for host shards on unreachable members; in total {2} in full batches released since, {3} dropped (no in-flight room)",
            _thread.Name, held, released, dropped);
        _loggedHeld = held;
        _loggedReleased = released;
        _loggedDroppedHeld = dropped;
    }

    /// <summary>
    /// Adds what this loop counted since the last call to the meter's counters, on the flush tick: the loop's own
    /// fields stay plain single-writer increments per datagram, and the meter sees a handful of adds per tick.
    /// </summary>
    private void PublishCounters()
    {
        var p = _published;
        Publish(ClusterMetrics.ReceiverDatagrams, _datagrams, ref p.Datagrams);
        Publish(ClusterMetrics.ReceiverBytes, _bytes, ref p.Bytes);
        Publish(ClusterMetrics.ReceiverRecords, _recordCount, ref p.Records);
        Publish(ClusterMetrics.ReceiverObservations, _observations, ref p.Observations);
        Publish(ClusterMetrics.ReceiverDecodeErrors, _decodeErrors, ref p.DecodeErrors);
        Publish(ClusterMetrics.ReceiverBatches, _batcher.BatchesSent, ref p.Batches);
        PublishDropped(_notAllowed, ref p.NotAllowed, "exporter_not_allowed");
        PublishDropped(_outputFull, ref p.OutputFull, "output_full");
        PublishDropped(_batcher.DroppedOverload, ref p.Overload, "in_flight_limit");
        PublishDropped(Volatile.Read(ref _kernelDropped), ref p.Kernel, "kernel");
    }

    private void Publish(System.Diagnostics.Metrics.Counter<long> counter, long total, ref long published)
    {
        if (total == published) return;
        counter.Add(total - published, _portTag);
        published = total;
    }

    private void PublishDropped(long total, ref long published, string reason)
    {
        if (total == published) return;
        ClusterMetrics.ReceiverDropped.Add(total - published, _portTag, new KeyValuePair<string, object?>("reason", reason));
        published = total;
    }

    /// <summary>Totals already added to the meter's counters (touched by the loop thread only).</summary>
    private sealed class PublishedCounts
    {
        public long Datagrams, Bytes, Records, Observations, DecodeErrors, Batches, NotAllowed, OutputFull, Overload, Kernel;
    }

    /// <summary>A log line at most once a minute while the template quotas refuse or evict templates.</summary>
    private void LogTemplatePressure()
    {
        var t = _decoder.Templates;
        long pressure = t.Rejected + t.Evicted + t.QuotaEvicted;
        if (pressure != _countedTemplatePressure)
        {
            ClusterMetrics.TemplateQuota.Add(pressure - _countedTemplatePressure);
            _countedTemplatePressure = pressure;
        }
        if (pressure == _loggedTemplatePressure) return;
        long now = Environment.TickCount64;
        if (_lastTemplateLogMs != long.MinValue && now - _lastTemplateLogMs < TemplateLogEveryMs) return;
        // At most once a minute, so the string built here costs nothing on the hot path.
        _log.Warning($"Receiver {_thread.Name}: template table under pressure ({t.Count} of {t.MaxTotal} held; in total {t.Rejected} refused from exporters whose data never decoded, {t.Evicted} evicted for other exporters, {t.QuotaEvicted} replaced within an exporter's quota of {t.MaxPerExporter}); a template flood from spoofed sources? Set an exporter allowlist");
        _loggedTemplatePressure = pressure;
        _lastTemplateLogMs = now;
    }

    private void ReadKernelDrops()
    {
        if (_kernelDrops is null || !_kernelDrops.TryRead(out long drops)) return;
        if (_kernelDropsAtStart < 0) _kernelDropsAtStart = drops;
        long since = Math.Max(0, drops - _kernelDropsAtStart);
        long before = _kernelDropped;
        if (since == before) return;
        Volatile.Write(ref _kernelDropped, since);
        _log.Warning("Receiver {0}: the kernel dropped {1} datagrams on this socket so far (receive buffer full); raise ReceiveBufferBytes and net.core.rmem_max, or add sockets",
            _thread.Name, since);
    }

    /// <summary>Stops receiving, waits for the thread (which flushes pending batches on its way out) and closes the socket.</summary>
    public void Dispose()
    {
        _stopping = true;
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
        _exchange.Unregister(_imports);
        _records.Dispose();
    }

    /// <summary>Opens the configured number of sockets on one port (SO_REUSEPORT on Linux so the kernel spreads exporters over them).</summary>
    internal static List<Socket> OpenSockets(ReceiverPortOptions port, ILoggingAdapter log, out int grantedReceiveBuffer)
    {
        var address = IPAddress.Parse(port.BindAddress);
        int count = OperatingSystem.IsLinux() ? port.Sockets : 1;
        if (count != port.Sockets) log.Warning("SO_REUSEPORT is only used on Linux; port {0} gets one socket instead of {1}", port.Port, port.Sockets);
        var sockets = new List<Socket>(count);
        int boundPort = port.Port;
        grantedReceiveBuffer = 0;
        try
        {
            for (int i = 0; i < count; i++)
            {
                var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                sockets.Add(s);
                if (address.AddressFamily == AddressFamily.InterNetworkV6) s.DualMode = address.Equals(IPAddress.IPv6Any);
                if (OperatingSystem.IsLinux() && count > 1)
                {
                    // SOL_SOCKET = 1, SO_REUSEPORT = 15 (Linux asm-generic/socket.h); .NET has no named option for it.
                    s.SetRawSocketOption(1, 15, BitConverter.GetBytes(1));
                }
                s.ReceiveBufferSize = port.ReceiveBufferBytes;
                s.Bind(new IPEndPoint(address, boundPort));
                boundPort = ((IPEndPoint)s.LocalEndPoint!).Port;
                // Linux reports twice the usable size it granted; it caps the request at net.core.rmem_max.
                int granted = s.ReceiveBufferSize;
                if (OperatingSystem.IsLinux()) granted /= 2;
                grantedReceiveBuffer = granted;
                if (i == 0 && granted < port.ReceiveBufferBytes)
                {
                    log.Warning("UDP port {0}: asked for a {1}-byte receive buffer, the kernel granted {2}; raise net.core.rmem_max (sysctl -w net.core.rmem_max={1}) to avoid drops under bursts",
                        boundPort, port.ReceiveBufferBytes, granted);
                }
            }
        }
        catch
        {
            foreach (var s in sockets) s.Dispose();
            throw;
        }
        return sockets;
    }
}
