using System.Globalization;
using Akka.Cluster.Sharding;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Sharding;

/// <summary>
/// Routes host messages to the <c>host</c> shard entity, which is one <c>HostShardActor</c> per shard (entity id =
/// shard id) owning all of that shard's hosts. A host's shard is derived from <see cref="FlowAddress.GetStableHashCode"/>,
/// which is the same in every process — unlike <see cref="string.GetHashCode()"/>, which differs per process and
/// would split one host over two shards.
/// </summary>
public sealed class HostMessageExtractor : HashCodeMessageExtractor
{
    private readonly string[] _ids;

    /// <summary>Creates an extractor over <paramref name="shardCount"/> shards (fixed for the cluster's life).</summary>
    public HostMessageExtractor(int shardCount) : base(shardCount)
    {
        _ids = new string[shardCount];
        for (int i = 0; i < shardCount; i++) _ids[i] = i.ToString(CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override string? EntityId(object message) => message switch
    {
        ShardObservations s => IdOf(s.Shard),
        IHostMessage h => IdOf(ShardNumberOf(h.Host)),
        GetShardHosts g => IdOf(g.Shard),
        _ => null,
    };

    /// <inheritdoc />
    public override string ShardId(string entityId, object? messageHint = null) => entityId;

    /// <summary>The shard number of <paramref name="host"/> (0 .. shard count - 1).</summary>
    public int ShardNumberOf(FlowAddress host) => (int)(host.GetStableHashCode() % (ulong)MaxNumberOfShards);

    /// <summary>The shard id of <paramref name="host"/>.</summary>
    public string ShardOf(FlowAddress host) => IdOf(ShardNumberOf(host));

    /// <summary>The shard (and entity) id of shard number <paramref name="shard"/>; out-of-range numbers map to a valid shard.</summary>
    public string IdOf(int shard) => _ids[(int)((uint)shard % (uint)_ids.Length)];

    /// <summary>Parses a shard id back to its number; false for anything this extractor did not produce.</summary>
    public bool TryParseShard(string id, out int shard) =>
        int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out shard) && shard < MaxNumberOfShards;
}
