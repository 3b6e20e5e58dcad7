using System.Buffers.Binary;
using FlowActors.Protocols.Tests.Encoding;

namespace FlowActors.Protocols.Tests;

/// <summary>
/// Random and mutated datagrams through <see cref="FlowDecoder.Decode"/>: nothing may throw, and the template cache,
/// the hold queue and every other table stay within their limits. Iterations: 100,000 by default (fixed seed),
/// FLOWACTORS_FUZZ_ITERATIONS to override (build.ps1 fuzz runs 5,000,000).
/// </summary>
public sealed class FuzzTests
{
    private const int Seed = 20_261_128;

    private static readonly FlowDecoderOptions SmallLimits = new()
    {
        MaxTemplatesPerExporter = 24,
        MaxTemplates = 64,
        MaxFieldsPerTemplate = 128,
        HeldDataMaxCount = 16,
        HeldDataMaxBytes = 32 * 1024,
        HeldDataMaxAge = TimeSpan.FromSeconds(2),
        MaxExporters = 6,
        MaxDomains = 12,
        MaxSamplersPerDomain = 4,
        MaxSequenceStreams = 10,
    };

    private static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("FLOWACTORS_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 100_000;

    [Fact]
    public void Mutated_datagrams_never_throw_and_state_stays_within_limits()
    {
        var corpus = Corpus();
        var rng = new Random(Seed);
        var small = new FlowDecoder(SmallLimits);
        var roomy = new FlowDecoder();
        var exporters = Enumerable.Range(1, 10).Select(i => FlowAddress.FromV4(0xC0000200u + (uint)i)).ToArray();
        using var buffer = new FlowRecordBuffer(256, 4_096);
        long now = DecodeHelper.Now;
        long records = 0;
        int iterations = Iterations;

        for (int i = 0; i < iterations; i++)
        {
            byte[] datagram = Mutate(corpus[rng.Next(corpus.Count)], corpus, rng);
            var decoder = (i & 1) == 0 ? small : roomy;
            var exporter = exporters[rng.Next(exporters.Length)];
            now += rng.Next(0, 50);
            buffer.Clear();
            DecodeResult result;
            try
            {
                result = decoder.Decode(datagram, exporter, now, buffer);
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i} (seed {Seed}) threw {e.GetType().Name}: {e.Message}\ndatagram {Convert.ToHexString(datagram)}\n{e.StackTrace}");
                return;
            }

            Assert.Equal(buffer.Count, result.Records);
            records += result.Records;
            if (i % 997 == 0) decoder.ExpireTemplates(now);
            if (i % 101 == 0) AssertWithinLimits(small);
        }

        AssertWithinLimits(small);
        AssertWithinLimits(roomy);
        Assert.True(records > iterations / 10, $"only {records} records in {iterations} iterations: the corpus stopped reaching the decoders");
    }

    private static void AssertWithinLimits(FlowDecoder d)
    {
        var o = d.Options;
        Assert.InRange(d.Templates.Count, 0, o.MaxTemplates);
        foreach (var s in d.Exporters.Snapshot()) Assert.InRange(d.Templates.CountFor(s.Exporter), 0, o.MaxTemplatesPerExporter);
        Assert.InRange(d.HeldData.Count, 0, o.HeldDataMaxCount);
        Assert.InRange(d.HeldData.Bytes, 0, o.HeldDataMaxBytes);
        Assert.InRange(d.Exporters.Count, 0, o.MaxExporters);
        Assert.InRange(d.Sequences.Count, 0, o.MaxSequenceStreams);
        foreach (var t in d.Templates.Snapshot()) Assert.InRange(t.FieldCount, 1, o.MaxFieldsPerTemplate);
    }

    private static byte[] Mutate(byte[] seed, List<byte[]> corpus, Random rng)
    {
        byte[] d = (byte[])seed.Clone();
        int kind = rng.Next(10);
        switch (kind)
        {
            case 0: // unchanged: keeps templates flowing so that data sets reach the field plans
                break;
            case 1: // bit flips
                for (int n = rng.Next(1, 9); n > 0 && d.Length > 0; n--) d[rng.Next(d.Length)] ^= (byte)(1 << rng.Next(8));
                break;
            case 2: // truncation
                d = d.AsSpan(0, rng.Next(d.Length + 1)).ToArray();
                break;
            case 3: // a 16-bit length / count / id field set to 0, 0xFFFF, 1, 4 or random
            case 4:
                for (int n = rng.Next(1, 4); n > 0 && d.Length >= 2; n--)
                {
                    int at = rng.Next(d.Length - 1);
                    ushort v = rng.Next(6) switch { 0 => 0, 1 => 0xFFFF, 2 => 1, 3 => 4, 4 => 0xFFFE, _ => (ushort)rng.Next(65536) };
                    BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(at), v);
                }

                break;
            case 5: // random bytes after a valid version
            {
                d = new byte[rng.Next(0, 1500)];
                rng.NextBytes(d);
                if (d.Length >= 2) BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)(rng.Next(3) switch { 0 => 5, 1 => 9, _ => 10 }));
                break;
            }
            case 6: // splice two datagrams
            {
                var other = corpus[rng.Next(corpus.Count)];
                int cut = rng.Next(d.Length + 1);
                int from = rng.Next(other.Length + 1);
                d = d.AsSpan(0, cut).ToArray().Concat(other.AsSpan(from).ToArray()).ToArray();
                break;
            }
            case 7: // extension with junk
            {
                var tail = new byte[rng.Next(1, 64)];
                rng.NextBytes(tail);
                d = d.Concat(tail).ToArray();
                break;
            }
            case 8: // random byte overwrites
                for (int n = rng.Next(1, 16); n > 0 && d.Length > 0; n--) d[rng.Next(d.Length)] = (byte)rng.Next(256);
                break;
            default: // template field counts and set lengths made huge
                for (int n = rng.Next(1, 3); n > 0 && d.Length >= 24; n--)
                {
                    int at = 16 + rng.Next(d.Length - 18);
                    BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(at), (ushort)rng.Next(0x4000, 0x10000));
                }

                break;
        }

        return d;
    }

    private static List<byte[]> Corpus()
    {
        var corpus = new List<byte[]>();
        foreach (var file in Directory.GetFiles(TestData.Directory, "*.pcap").OrderBy(f => f, StringComparer.Ordinal))
        {
            corpus.AddRange(TestData.Datagrams(Path.GetFileName(file)).Take(12).Select(d => d.Payload));
        }

        corpus.Add(new NetFlowV5Builder { Sampling = 0x4000 | 10 }.Add(new NetFlowV5Record()).Add(new NetFlowV5Record { Protocol = 1 }).Build());
        corpus.Add(new NetFlowV9Builder()
            .Data(300, new RecordWriter().Ip("10.0.0.1").U32(5).ToArray())
            .OptionsTemplate(260, [(1, 4)], [(48, 1), (49, 1), (50, 4)])
            .Data(260, new RecordWriter().U32(0).U8(1).U8(2).U32(10).ToArray(), padding: 2)
            .Template(300, (8, 4), (1, 4), (48, 1), (22, 4), (21, 4), (0x9C41, 4))
            .Template(301, (27, 16), (28, 16), (62, 16), (2, 8), (1, 2), (32, 2), (4, 1), (233, 1), (231, 4), (323, 8))
            .Build());
        corpus.Add(new IpfixBuilder()
            .Data(256, new RecordWriter().Ip("10.0.0.1").VarLen("eth0"u8.ToArray()).U32(7).ToArray())
            .OptionsTemplate(400, 1, (302, 8), (305, 4), (306, 4), (160, 8))
            .Data(400, new RecordWriter().U64(1).U32(1).U32(99).U64(1_795_869_000_000).ToArray())
            .Template(256, (8, 4), (82, IpfixField.Variable), new IpfixField(5, 4, 29305), (22, 4))
            .Template(257, (27, 16), (154, 8), (156, 8), (139, 2), (4, 1), (243, 2), (302, 4))
            .Data(257, new RecordWriter().Ip("fd00::1").U64(0xEB00000000000000).U64(0xEB00000000000000).U16(0x8000).U8(58).U16(10).U32(1).ToArray())
            .Build());
        corpus.Add(new IpfixBuilder().Withdraw(256).WithdrawAll().WithdrawAll(options: true).Build());
        return corpus;
    }
}
