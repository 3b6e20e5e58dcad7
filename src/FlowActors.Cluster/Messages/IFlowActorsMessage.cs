namespace FlowActors.Cluster.Messages;

/// <summary>
/// Marker for every message that may cross nodes (and every persisted event and snapshot). The
/// <see cref="Serialization.FlowActorsSerializer"/> is bound to it, so one binding covers the whole protocol.
/// </summary>
public interface IFlowActorsMessage;

/// <summary>A message routed by the <c>host</c> shard region; <see cref="Host"/> is the entity.</summary>
public interface IHostMessage : IFlowActorsMessage
{
    /// <summary>The monitored host the message is for.</summary>
    Protocols.FlowAddress Host { get; }
}
