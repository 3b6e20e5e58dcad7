using System.Globalization;
using FlowActors.Siem.Sinks;

namespace FlowActors.Siem.Outbox;

/// <summary>How a sink treats updates of an alert it already has (same id, higher count).</summary>
public enum UpdateMode
{
    /// <summary>Every update is sent again under the same id with its higher count.</summary>
    All,

    /// <summary>Only the first version of an id is sent; later updates are suppressed (counted).</summary>
    First,

    /// <summary>An update is sent when at least <see cref="UpdatePolicy.Interval"/> of alert time has passed since the last version sent.</summary>
    Every,
}

/// <summary>The <c>Updates</c> setting of a sink: <c>all</c>, <c>first</c> or <c>every-N-minutes</c>.</summary>
/// <param name="Mode">Which updates are sent.</param>
/// <param name="Interval">For <see cref="UpdateMode.Every"/>, the least alert time between two versions sent.</param>
public readonly record struct UpdatePolicy(UpdateMode Mode, TimeSpan Interval)
{
    /// <summary>Every update is sent (the default).</summary>
    public static UpdatePolicy All => new(UpdateMode.All, TimeSpan.Zero);

    /// <summary>Parses <c>all</c>, <c>first</c> or <c>every-N-minutes</c> (N 1..1440; <c>every-1-minute</c> also reads).</summary>
    public static bool TryParse(string? text, out UpdatePolicy policy)
    {
        policy = All;
        if (text is null) return false;
        string t = text.Trim().ToLowerInvariant();
        if (t == "all") return true;
        if (t == "first")
        {
            policy = new UpdatePolicy(UpdateMode.First, TimeSpan.Zero);
            return true;
        }

        const string prefix = "every-";
        if (!t.StartsWith(prefix, StringComparison.Ordinal)) return false;
        string rest = t[prefix.Length..];
        int dash = rest.IndexOf('-');
        if (dash <= 0 || rest[(dash + 1)..] is not ("minutes" or "minute")) return false;
        if (!int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int minutes) || minutes is < 1 or > 1440) return false;
        policy = new UpdatePolicy(UpdateMode.Every, TimeSpan.FromMinutes(minutes));
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Mode switch
    {
        UpdateMode.All => "all",
        UpdateMode.First => "first",
        _ => string.Create(CultureInfo.InvariantCulture, $"every-{(int)Interval.TotalMinutes}-minutes"),
    };
}

/// <summary>The forwarder's delivery rules for one sink (the common keys of a <c>Forwarder:Sinks:N</c> entry).</summary>
public sealed record SinkPolicy
{
    /// <summary>Alerts below this severity (0-10) are not sent to the sink (counted as filtered). Default 0.</summary>
    public int MinSeverity { get; init; }

    /// <summary>Most alerts handed to the sink in one delivery. Default 100.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>
    /// Most alerts waiting for this sink. When full, the oldest waiting alert is dropped for this sink only and counted
    /// (the journal and the pull API keep it; the other sinks still get it). Default 100,000.
    /// </summary>
    public int MaxBacklog { get; init; } = 100_000;

    /// <summary>Which updates of an already sent alert are sent again.</summary>
    public UpdatePolicy Updates { get; init; } = UpdatePolicy.All;

    /// <summary>
    /// Most alerts per second sent to the sink (0 = no limit). Alerts above the rate wait in the backlog and are
    /// counted as rate-limited; a burst of up to one second's worth goes at once.
    /// </summary>
    public double RateLimitPerSecond { get; init; }

    /// <summary>
    /// The policy a validated <see cref="SinkOptions"/> entry describes: its common settings are defined once, on
    /// the options class, and this is their parsed form for the outbox.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="SinkOptions.Updates"/> does not parse.</exception>
    public static SinkPolicy From(SinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!UpdatePolicy.TryParse(options.Updates, out var updates))
        {
            throw new ArgumentException($"sink {options.EffectiveName}: Updates '{options.Updates}' is not all, first or every-N-minutes", nameof(options));
        }

        return new SinkPolicy
        {
            MinSeverity = options.MinSeverity,
            BatchSize = options.BatchSize,
            MaxBacklog = options.MaxBacklog,
            Updates = updates,
            RateLimitPerSecond = options.RateLimitPerSecond,
        };
    }

    /// <summary>Messages naming <paramref name="keyPrefix"/>'s bad keys; empty when the policy is usable.</summary>
    public IEnumerable<string> Validate(string keyPrefix)
    {
        if (MinSeverity is < 0 or > 10) yield return $"{keyPrefix}:MinSeverity must be 0-10 (got {MinSeverity}).";
        if (BatchSize is < 1 or > 10_000) yield return $"{keyPrefix}:BatchSize must be 1-10000 (got {BatchSize}).";
        if (MaxBacklog is < 1 or > 10_000_000) yield return $"{keyPrefix}:MaxBacklog must be 1-10000000 (got {MaxBacklog}).";
        if (RateLimitPerSecond < 0 || double.IsNaN(RateLimitPerSecond) || RateLimitPerSecond > 1_000_000) yield return $"{keyPrefix}:RateLimitPerSecond must be 0 (none) to 1000000 (got {RateLimitPerSecond.ToString(CultureInfo.InvariantCulture)}).";
    }
}
