using System.Buffers.Binary;
using static FlowActors.Protocols.Tests.Capture.PacketBuilder;
using static FlowActors.Protocols.Tests.SFlow.SFlowBuilder;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>
/// Mutated sFlow datagrams (bit flips, truncations, length words set to 0 / 0xFFFF / 0xFFFFFFFF) through the decoder:
/// no exception escapes and the output never exceeds its bound. FLOWACTORS_FUZZ_ITERATIONS sets a longer run.
/// </summary>
public class SFlowFuzzTests
{
    private static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("FLOWACTORS_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 100_000;

    private static byte[][] Seeds() =>
    [
        new SFlowBuilder()
            .FlowSample(512, 3, 4,
                SampledHeader(1, 1518, Ethernet(0x86DD, IPv6("2001:db8::1", "2001:db8::2", 0, IPv6Extension(44, IPv6Fragment(6, 0, true, Tcp(1, 2, 2)))), (0x88A8, 10), (0x8100, 20))),
                ExtendedSwitch(10, 0, 20, 0), ExtendedRouter("2001:db8::fe", 64, 64), ExtendedGateway("192.0.2.1", 1, 2, 3, [4, 5, 6], [7]))
            .ExpandedFlowSample(100, 0, 7, 0, 8, SampledIPv4(100, 17, "10.0.0.1", "10.0.0.2", 1, 2, 0, 0))
            .Build(),
        new SFlowBuilder(agent: "2001:db8::9")
            .CounterSample(false, GenericInterfaceCounters(1, 2, 3, 4, 5, 6), EthernetCounters())
            .DiscardedPacket(3, SampledHeader(11, 60, IPv4("10.0.0.1", "10.0.0.2", 1, Icmp(3, 3))))
            .FlowSample(1, 1, 2, SampledHeader(1, 80, Ethernet(0x8847, [0, 0, 1, 64, .. IPv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 2, []))])))
            .Build(),
    ];

    [Fact]
    public void Mutated_datagrams_never_throw_and_output_stays_bounded()
    {
        var random = new Random(20261128);
        using var h = new SFlowTestHarness(outputCapacity: 64);
        var seeds = Seeds();
        var errors = new int[16];
        for (int i = 0; i < Iterations; i++)
        {
            var seed = seeds[i % seeds.Length];
            var datagram = Mutate(seed, random);
            h.Output.Clear();
            var result = h.Decode(datagram);
            errors[(int)result.Error]++;
            Assert.InRange(h.Output.Count, 0, 64);
        }

        // The mutations must reach both clean decodes and each main error kind, or the test proves little.
        Assert.True(errors[(int)DecodeError.None] > 0);
        Assert.True(errors[(int)DecodeError.BadSample] > 0);
        Assert.True(errors[(int)DecodeError.Truncated] > 0);
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var d = (byte[])seed.Clone();
        switch (random.Next(5))
        {
            case 0: // bit flips
                for (int k = random.Next(1, 6); k > 0; k--) d[random.Next(d.Length)] ^= (byte)(1 << random.Next(8));
                return d;
            case 1: // truncation
                return d[..random.Next(d.Length)];
            case 2: // a 32-bit word set to an extreme length
            {
                int at = random.Next(d.Length / 4) * 4;
                uint value = random.Next(4) switch { 0 => 0u, 1 => 0xFFFFu, 2 => 0xFFFF_FFFFu, _ => (uint)random.Next(0, 4096) };
                BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(at), value);
                return d;
            }
            case 3: // random bytes behind a valid version word
            {
                var r = new byte[random.Next(4, 600)];
                random.NextBytes(r);
                BinaryPrimitives.WriteUInt32BigEndian(r, 5);
                return r;
            }
            default: // truncation plus flips
            {
                var t = d[..random.Next(1, d.Length)];
                t[random.Next(t.Length)] ^= 0xFF;
                return t;
            }
        }
    }
}
