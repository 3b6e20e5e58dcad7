namespace FlowActors.Node.Tests.Harness;

/// <summary>
/// Tests that start nodes run one at a time: the metrics exporter sees every FlowActors meter in the
/// process, so two nodes at once would add up each other's gauges, and the machine has two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NodeCollection
{
    /// <summary>Collection name.</summary>
    public const string Name = "nodes";
}
