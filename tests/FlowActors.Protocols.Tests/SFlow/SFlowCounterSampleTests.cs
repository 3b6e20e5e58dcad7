using FlowActors.Protocols.SFlow;
using static FlowActors.Protocols.Tests.SFlow.SFlowBuilder;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>Counter samples (sFlow v5 "Counter Data"): generic interface counters kept per agent, bounded.</summary>
public class SFlowCounterSampleTests
{
    [Fact]
    public void Generic_interface_counters_are_kept_per_agent_and_ifindex()
    {
        using var h = new SFlowTestHarness();
        var datagram = new SFlowBuilder(agent: "192.0.2.7", subAgent: 2, uptimeMs: 123_456)
            .CounterSample(expanded: false, GenericInterfaceCounters(ifIndex: 5, speed: 10_000_000_000, inOctets: 9_000_000_000_000, inUnicast: 4_000_000_000,
                outOctets: 1_234, outUnicast: 17, inErrors: 3, outDiscards: 4))
            .Build();

        var result = h.Decode(datagram);

        Assert.Equal(new DecodeResult(DecodeError.None, FlowRecord.SFlowVersion, 0), result);
        Assert.True(h.Decoder.Agents.TryGet(FlowAddress.Parse("192.0.2.7"), out var agent));
        var c = agent.Interfaces[5];
        Assert.Equal(5u, c.IfIndex);
        Assert.Equal(6u, c.IfType);
        Assert.Equal(10_000_000_000UL, c.IfSpeed);
        Assert.True(c.IsOperUp);
        Assert.Equal(9_000_000_000_000UL, c.InOctets);
        Assert.Equal(4_000_000_000u, c.InUnicastPackets);
        Assert.Equal(10u, c.InMulticastPackets);
        Assert.Equal(20u, c.InBroadcastPackets);
        Assert.Equal(3u, c.InErrors);
        Assert.Equal(1_234UL, c.OutOctets);
        Assert.Equal(17u, c.OutUnicastPackets);
        Assert.Equal(4u, c.OutDiscards);
        Assert.Equal(2u, c.PromiscuousMode);
        Assert.Equal(2u, c.SubAgentId);
        Assert.Equal(123_456u, c.AgentUptimeMs);
        Assert.Equal(SFlowTestHarness.ReceivedAt, c.ReceivedAtMs);
        Assert.Equal(1, agent.CounterSamples);
    }

    [Fact]
    public void Expanded_counter_sample_is_read_the_same_way_and_other_counter_records_are_skipped()
    {
        using var h = new SFlowTestHarness();
        var seen = new List<uint>();
        h.Decoder.CountersReceived = (in SFlowInterfaceCounters c) => seen.Add(c.IfIndex);
        var datagram = new SFlowBuilder()
            .CounterSample(expanded: true, EthernetCounters(), GenericInterfaceCounters(9, 1_000_000_000, 1, 1, 1, 1))
            .CounterSample(expanded: false, GenericInterfaceCounters(10, 1_000_000_000, 1, 1, 1, 1))
            .Build();

        h.Decode(datagram);

        Assert.Equal(new uint[] { 9, 10 }, seen);
        Assert.Equal(1, h.Decoder.Stats.OtherCounterRecords);
        Assert.Equal(2, h.Decoder.Stats.InterfaceCounterRecords);
        Assert.Equal(2, h.Decoder.Stats.CounterSamples);
    }

    [Fact]
    public void Newer_counters_replace_older_ones_for_the_same_interface()
    {
        using var h = new SFlowTestHarness();
        h.Decode(new SFlowBuilder().CounterSample(false, GenericInterfaceCounters(1, 1, inOctets: 100, 1, 1, 1)).Build());
        h.Decode(new SFlowBuilder().CounterSample(false, GenericInterfaceCounters(1, 1, inOctets: 250, 1, 1, 1)).Build());

        h.Decoder.Agents.TryGet(FlowAddress.Parse("192.0.2.1"), out var agent);
        Assert.Equal(250UL, Assert.Single(agent.Interfaces).Value.InOctets);
    }

    [Fact]
    public void Interfaces_per_agent_are_bounded_and_refusals_counted()
    {
        using var h = new SFlowTestHarness();
        int max = h.Decoder.Agents.MaxInterfacesPerAgent;
        for (uint i = 0; i < max + 5; i++)
        {
            h.Decode(new SFlowBuilder().CounterSample(false, GenericInterfaceCounters(i + 1, 1, 1, 1, 1, 1)).Build());
        }

        h.Decoder.Agents.TryGet(FlowAddress.Parse("192.0.2.1"), out var agent);
        Assert.Equal(max, agent.Interfaces.Count);
        Assert.Equal(5, agent.InterfacesRefused);
    }

    [Fact]
    public void Agents_are_bounded_and_the_least_recently_seen_is_evicted()
    {
        using var h = new SFlowTestHarness();
        int max = h.Decoder.Agents.MaxAgents;
        for (int i = 0; i <= max; i++)
        {
            string agent = $"10.{(i >> 16) & 0xFF}.{(i >> 8) & 0xFF}.{i & 0xFF}";
            h.Decode(new SFlowBuilder(agent: agent).CounterSample(false, GenericInterfaceCounters(1, 1, 1, 1, 1, 1)).Build(), receivedAt: 1_000 + i);
        }

        Assert.Equal(max, h.Decoder.Agents.Count);
        Assert.Equal(1, h.Decoder.Agents.Evicted);
        Assert.False(h.Decoder.Agents.TryGet(FlowAddress.Parse("10.0.0.0"), out _)); // the first, least recently seen
    }

    [Fact]
    public void Agent_eviction_takes_the_least_recently_seen_and_stays_bounded()
    {
        var registry = new SFlowAgentRegistry(maxAgents: 3);
        FlowAddress A(int i) => FlowAddress.Parse($"192.0.2.{i}");
        registry.GetOrAdd(A(1), 10);
        registry.GetOrAdd(A(2), 20);
        registry.GetOrAdd(A(3), 30);
        registry.GetOrAdd(A(1), 5); // seen again (an earlier clock reading must not matter: order is by use)

        registry.GetOrAdd(A(4), 40);

        Assert.Equal(3, registry.Count);
        Assert.Equal(1, registry.Evicted);
        Assert.Equal(new[] { A(1), A(3), A(4) }.ToHashSet(), registry.Agents.Keys.ToHashSet()); // 192.0.2.2 was least recently seen

        // A flood of new (spoofed) agents keeps the table at its bound and evicts one per newcomer.
        for (int i = 0; i < 10_000; i++) registry.GetOrAdd(FlowAddress.Parse($"10.0.{i >> 8}.{i & 0xFF}"), 100 + i);

        Assert.Equal(3, registry.Count);
        Assert.Equal(10_001, registry.Evicted);
        Assert.Equal(new[] { "10.0.39.13", "10.0.39.14", "10.0.39.15" }.Select(FlowAddress.Parse).ToHashSet(), registry.Agents.Keys.ToHashSet());
    }

    [Fact]
    public void Short_generic_counter_record_is_a_bad_sample()
    {
        using var h = new SFlowTestHarness();
        var shortRecord = new SFlowRecordBytes(1, new byte[84]); // 88 bytes expected
        var result = h.Decode(new SFlowBuilder().CounterSample(false, shortRecord).Build());

        Assert.Equal(DecodeError.BadSample, result.Error);
        Assert.Equal(1, h.Decoder.Stats.BadSamples);
    }
}
