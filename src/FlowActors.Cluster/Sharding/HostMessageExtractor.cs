using Akka.Cluster.Sharding;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Sharding;

/// <summary>
/// Routes <see cref="IHostMessage"/>s to the <c>host</c> entity named by the IP text. The shard is derived
/// from <see cref="FlowAddress.GetStableHashCode"/>, which is the same in every process — unlike
/// <see cref="string.GetHashCode()"/>, which differs per process and would split one host over two entities.
/// </summary>
public sealed class HostMessageExtractor : HashCodeMessageExtractor
{
    /// <summary>Creates an extractor over <paramref name="shardCount"/> shards (fixed for the cluster's life).</summary>
    public HostMessageExtractor(int shardCount) : base(shardCount) { }

    /// <inheritdoc />
    public override string? EntityId(object message) => message is IHostMessage h ? h.Host.ToString() : null;

    /// <inheritdoc />
    public override string ShardId(string entityId, object? messageHint = null) =>
        messageHint is IHostMessage h ? ShardOf(h.Host)
        : FlowAddress.TryParse(entityId, out var a) ? ShardOf(a) : "0";

    /// <summary>The shard id of <paramref name="host"/>.</summary>
    public string ShardOf(FlowAddress host) => ((int)(host.GetStableHashCode() % (ulong)MaxNumberOfShards)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
