namespace FlowActors.Protocols.SFlow;

/// <summary>What one sFlow agent has sent: sample counts and the latest interface counters per ifIndex.</summary>
/// <remarks>Interfaces are bounded by <see cref="SFlowAgentRegistry.MaxInterfacesPerAgent"/>; counters for further ifIndexes are counted in <see cref="InterfacesRefused"/> and dropped.</remarks>
public sealed class SFlowAgentState : ILruNode<SFlowAgentState>
{
    private readonly Dictionary<uint, SFlowInterfaceCounters> _interfaces = new();
    private readonly int _maxInterfaces;
    private LruLinks<SFlowAgentState> _lru;

    internal SFlowAgentState(FlowAddress agent, int maxInterfaces)
    {
        Agent = agent;
        _maxInterfaces = maxInterfaces;
    }

    ref LruLinks<SFlowAgentState> ILruNode<SFlowAgentState>.Links(int list) => ref _lru;

    /// <summary>Agent address.</summary>
    public FlowAddress Agent { get; }
    /// <summary>Datagrams received from the agent (all sub-agents).</summary>
    public long Datagrams { get; internal set; }
    /// <summary>Flow samples (compact and expanded).</summary>
    public long FlowSamples { get; internal set; }
    /// <summary>Counter samples (compact and expanded).</summary>
    public long CounterSamples { get; internal set; }
    /// <summary>Discarded-packet samples: packets the device dropped and reported.</summary>
    public long DiscardedPacketSamples { get; internal set; }
    /// <summary>Interface counter records refused because the agent already has <see cref="SFlowAgentRegistry.MaxInterfacesPerAgent"/> interfaces.</summary>
    public long InterfacesRefused { get; internal set; }
    /// <summary>Last datagram time (ms, caller's clock).</summary>
    public long LastSeenMs { get; internal set; }
    /// <summary>Latest generic interface counters by ifIndex.</summary>
    public IReadOnlyDictionary<uint, SFlowInterfaceCounters> Interfaces => _interfaces;

    internal void Store(in SFlowInterfaceCounters counters)
    {
        if (_interfaces.Count >= _maxInterfaces && !_interfaces.ContainsKey(counters.IfIndex))
        {
            InterfacesRefused++;
            return;
        }

        _interfaces[counters.IfIndex] = counters;
    }
}

/// <summary>
/// Per-agent sFlow state, bounded: at most <see cref="MaxAgents"/> agents (the least recently seen is evicted to make
/// room) and <see cref="MaxInterfacesPerAgent"/> interfaces each.
/// </summary>
/// <remarks>Lookup, touch and eviction are O(1) (an LRU table, as for exporters and domains), so datagrams from a flood of spoofed agent
/// addresses cost no more than normal traffic. Not thread-safe: one registry belongs to one decoder, which belongs to one receiver.</remarks>
public sealed class SFlowAgentRegistry
{
    private readonly LruTable<FlowAddress, SFlowAgentState> _agents;

    /// <summary>Creates a registry.</summary>
    public SFlowAgentRegistry(int maxAgents = 4_096, int maxInterfacesPerAgent = 1_024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAgents, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInterfacesPerAgent, 1);
        MaxInterfacesPerAgent = maxInterfacesPerAgent;
        _agents = new(maxAgents, a => new SFlowAgentState(a, maxInterfacesPerAgent), static s => s.Agent);
    }

    /// <summary>Most agents tracked.</summary>
    public int MaxAgents => _agents.MaxCount;

    /// <summary>Most interfaces tracked per agent.</summary>
    public int MaxInterfacesPerAgent { get; }

    /// <summary>Agents evicted to stay within <see cref="MaxAgents"/>.</summary>
    public long Evicted => _agents.Evicted;

    /// <summary>Agents tracked.</summary>
    public int Count => _agents.Count;

    /// <summary>The agents (a live view; for operators and tests).</summary>
    public IReadOnlyDictionary<FlowAddress, SFlowAgentState> Agents => _agents.Items;

    /// <summary>Looks an agent up.</summary>
    public bool TryGet(FlowAddress agent, out SFlowAgentState state)
    {
        bool found = _agents.TryGet(agent, out var s);
        state = s!;
        return found;
    }

    internal SFlowAgentState GetOrAdd(FlowAddress agent, long nowMs)
    {
        var state = _agents.GetOrAdd(agent, out _);
        state.LastSeenMs = nowMs;
        return state;
    }
}
