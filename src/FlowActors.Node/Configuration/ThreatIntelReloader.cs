using System.Diagnostics.Metrics;
using FlowActors.Detection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlowActors.Node.Configuration;

/// <summary>
/// The node's threat-intel block list (<c>Detection:Tuning:ThreatIntel:Files</c>), reloaded when a file changes, without
/// a restart: a <see cref="FileSystemWatcher"/> per directory (events debounced, as editors and ConfigMap updates write in
/// several steps) and, since watchers miss changes on some mounts (a Kubernetes ConfigMap swaps a symlink), a periodic
/// check of each file's time and size every <c>Detection:ThreatIntelPollSeconds</c>. A reload swaps the whole set at
/// once (<see cref="ThreatIntelSet.Reload"/>); a bad file keeps the previous list and is logged. Each reload is counted
/// on <c>flowactors.threatintel.reloads</c> (meter <c>FlowActors.Node</c>) with <c>outcome</c> ok or failed.
/// </summary>
public sealed class ThreatIntelReloader : IHostedService, IDisposable
{
    /// <summary>Meter of the reload counter (the node's meter).</summary>
    public const string MeterName = "FlowActors.Node";

    /// <summary>Name of the reload counter.</summary>
    public const string ReloadsCounterName = "flowactors.threatintel.reloads";

    /// <summary>How long the files must be quiet after an event before they are read.</summary>
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(500);

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Reloads = Meter.CreateCounter<long>(ReloadsCounterName, "{reload}", "Threat-intel block-list reloads after a file changed, by outcome (ok, failed).");

    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly TimeSpan _poll;
    private readonly string[] _files;
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly Lock _gate = new();
    private (DateTime, long)[] _stamps;
    private ITimer? _debounceTimer;
    private ITimer? _pollTimer;

    /// <summary>Loads the configured files (validated at start-up, so they exist and parse).</summary>
    public ThreatIntelReloader(NodeSettings settings, ILogger<ThreatIntelReloader> log, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _log = log;
        _time = time;
        _poll = TimeSpan.FromSeconds(settings.Detection.ThreatIntelPollSeconds);
        _files = [.. settings.Detection.Tuning.ThreatIntel.Files];
        _stamps = Stamps();
        Set = _files.Length > 0 ? ThreatIntelSet.FromFiles(_files) : null;
    }

    /// <summary>The block list every host actor of this node consults; null when no files are configured.</summary>
    public ThreatIntelSet? Set { get; }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Set is null) return Task.CompletedTask;
        _debounceTimer = _time.CreateTimer(_ => Reload(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        foreach (var directory in _files.Select(Path.GetDirectoryName).Distinct(StringComparer.Ordinal))
        {
            if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory)) continue;
            var watcher = new FileSystemWatcher(directory)
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += OnEvent;
            watcher.Created += OnEvent;
            watcher.Deleted += OnEvent;
            watcher.Renamed += OnEvent;
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }

        if (_poll > TimeSpan.Zero) _pollTimer = _time.CreateTimer(_ => PollStamps(), null, _poll, _poll);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var w in _watchers) w.Dispose();
        _watchers.Clear();
        _debounceTimer?.Dispose();
        _pollTimer?.Dispose();
    }

    private void OnEvent(object sender, FileSystemEventArgs e)
    {
        // A ConfigMap update renames its ..data link; a file listed directly changes by name.
        if (_files.Any(f => string.Equals(f, e.FullPath, StringComparison.Ordinal)) || e.Name?.StartsWith("..", StringComparison.Ordinal) == true)
        {
            _debounceTimer?.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private void PollStamps()
    {
        if (!Stamps().SequenceEqual(_stamps)) _debounceTimer?.Change(Debounce, Timeout.InfiniteTimeSpan);
    }

    private (DateTime, long)[] Stamps() => _files.Select(f =>
    {
        var info = new FileInfo(f);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1L);
    }).ToArray();

    /// <summary>Re-reads the files now (also what a change triggers).</summary>
    public void Reload()
    {
        if (Set is null) return;
        lock (_gate)
        {
            var stamps = Stamps();
            try
            {
                Set.Reload();
                _stamps = stamps;
                Reloads.Add(1, new KeyValuePair<string, object?>("outcome", "ok"));
                _log.LogInformation("Threat-intel block list reloaded: {Count} prefixes from {Files}", Set.Count, string.Join(", ", _files));
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                // The previous list stays in force; the next change of the files (the fix) triggers the next attempt.
                _stamps = stamps;
                Reloads.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
                _log.LogWarning("Threat-intel block list not reloaded, the previous {Count} prefixes stay in force: {Problem}", Set.Count, e.Message);
            }
        }
    }
}
