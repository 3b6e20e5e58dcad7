using System.Runtime.CompilerServices;
using Akka.Actor;

namespace FlowActors.Cluster.Sharding;

/// <summary>
/// Which <c>host</c> shards live on a member that is unreachable and not yet downed, as this node last saw them
/// (<see cref="ShardHomeTrackerActor"/> writes it, receive loops read it). A batch for such a shard would be lost: the
/// region still routes it to the dead member. Receivers hold those batches (bounded) until the member is reachable again
/// or removed, when the shard is allocated anew. One per shard region on the node; reads are lock-free.
/// </summary>
public sealed class ShardHomes
{
    private static readonly ConditionalWeakTable<IActorRef, ShardHomes> ByRegion = new();
    private bool[] _held;

    /// <summary>Creates the table for <paramref name="shardCount"/> shards, none held.</summary>
    public ShardHomes(int shardCount) => _held = new bool[shardCount];

    /// <summary>The table of <paramref name="region"/>'s node (created on first use).</summary>
    public static ShardHomes For(IActorRef region, int shardCount) => ByRegion.GetValue(region, _ => new ShardHomes(shardCount));

    /// <summary>True when shard <paramref name="shard"/>'s home is unreachable: hold its batches.</summary>
    public bool IsHeld(int shard)
    {
        var held = Volatile.Read(ref _held);
        return (uint)shard < (uint)held.Length && held[shard];
    }

    /// <summary>Shards currently held.</summary>
    public int HeldCount => Volatile.Read(ref _held).Count(h => h);

    /// <summary>Replaces the held set (the array is owned by the table afterwards).</summary>
    public void Publish(bool[] held) => Volatile.Write(ref _held, held);
}
