namespace FlowActors.Cluster.Hosting;

/// <summary><c>IRequiredActor&lt;HostRegionMarker&gt;</c>: the <c>host</c> shard region (or its proxy on nodes without the analytics role).</summary>
public sealed class HostRegionMarker;

/// <summary><c>IRequiredActor&lt;ForwarderProxyMarker&gt;</c>: the proxy of the SIEM forwarder singleton.</summary>
public sealed class ForwarderProxyMarker;

/// <summary><c>IRequiredActor&lt;ReceiverMarker&gt;</c>: this node's receiver supervisor (answers <c>GetReceiverStats</c>).</summary>
public sealed class ReceiverMarker;
