using System.Buffers.Binary;
using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using FlowActors.Protocols;

namespace FlowActors.Benchmarks;

/// <summary>
/// One export datagram decoded through <see cref="FlowDecoder"/> per operation, templates already cached, as a receiver
/// decodes a steady stream. The sequence number is advanced before each decode so the sequence tracker stays on its
/// in-order path. The Records/s column is records per datagram divided by the median time per datagram: one core's
/// decode rate (the median, because on a shared machine the mean mostly measures the neighbours).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class DecodeBenchmarks
{
    private readonly FlowAddress _exporter = FlowAddress.FromV4(0x7F00_0001);
    private FlowDecoder _decoder = null!;
    private FlowRecordBuffer _output = null!;
    private byte[] _v5 = null!, _v9 = null!, _ipfix = null!, _sflow = null!;
    private uint _v5Sequence, _v9Sequence, _ipfixSequence, _sflowSequence;
    private long _now;

    /// <summary>Builds the datagrams, teaches the decoder the templates and checks every datagram decodes fully.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _decoder = new FlowDecoder();
        _output = new FlowRecordBuffer(initialCapacity: 256);
        _v5 = BenchmarkDatagrams.NetFlowV5();
        _v9 = BenchmarkDatagrams.NetFlowV9Data();
        _ipfix = BenchmarkDatagrams.IpfixData();
        _sflow = BenchmarkDatagrams.SFlow();
        _now = 1_795_883_405_000;
        Expect(_decoder.Decode(BenchmarkDatagrams.NetFlowV9Template(), _exporter, _now, _output), 0, "v9 template");
        Expect(_decoder.Decode(BenchmarkDatagrams.IpfixTemplate(), _exporter, _now, _output), 0, "IPFIX template");
        Expect(NetFlowV5(), BenchmarkDatagrams.V5Records, "v5");
        Expect(NetFlowV9(), BenchmarkDatagrams.V9Records, "v9");
        Expect(Ipfix(), BenchmarkDatagrams.IpfixRecords, "IPFIX");
        Expect(SFlow(), BenchmarkDatagrams.SFlowSamples, "sFlow");
    }

    /// <summary>Returns the pooled output buffer.</summary>
    [GlobalCleanup]
    public void Cleanup() => _output.Dispose();

    /// <summary>NetFlow v5: 30 records of 48 bytes.</summary>
    [Benchmark, Records(BenchmarkDatagrams.V5Records)]
    public DecodeResult NetFlowV5()
    {
        _v5Sequence += BenchmarkDatagrams.V5Records; // v5 counts flows
        BinaryPrimitives.WriteUInt32BigEndian(_v5.AsSpan(16), _v5Sequence);
        _output.Clear();
        return _decoder.Decode(_v5, _exporter, _now, _output);
    }

    /// <summary>NetFlow v9, softflowd's IPv4 template: 28 records of 45 bytes.</summary>
    [Benchmark, Records(BenchmarkDatagrams.V9Records)]
    public DecodeResult NetFlowV9()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_v9.AsSpan(12), ++_v9Sequence); // v9 counts packets
        _output.Clear();
        return _decoder.Decode(_v9, _exporter, _now, _output);
    }

    /// <summary>IPFIX, pmacct's template (absolute ms times, 8-byte counters): 25 records of 59 bytes.</summary>
    [Benchmark, Records(BenchmarkDatagrams.IpfixRecords)]
    public DecodeResult Ipfix()
    {
        _ipfixSequence += BenchmarkDatagrams.IpfixRecords; // IPFIX counts records
        BinaryPrimitives.WriteUInt32BigEndian(_ipfix.AsSpan(8), _ipfixSequence);
        _output.Clear();
        return _decoder.Decode(_ipfix, _exporter, _now, _output);
    }

    /// <summary>sFlow v5: 6 flow samples, each a 128-byte Ethernet/802.1Q/IPv4/TCP header plus extended switch data.</summary>
    [Benchmark, Records(BenchmarkDatagrams.SFlowSamples)]
    public DecodeResult SFlow()
    {
        BinaryPrimitives.WriteUInt32BigEndian(_sflow.AsSpan(16), ++_sflowSequence); // sFlow counts datagrams
        _output.Clear();
        return _decoder.Decode(_sflow, _exporter, _now, _output);
    }

    private static void Expect(DecodeResult result, int records, string what)
    {
        if (result.Error != DecodeError.None || result.Records != records)
        {
            throw new InvalidOperationException($"{what} benchmark datagram decoded as {result}, expected {records} records and no error.");
        }
    }

    /// <summary>Records one operation decodes (for the Records/s column).</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class RecordsAttribute(int count) : Attribute
    {
        /// <summary>Records per operation.</summary>
        public int Count { get; } = count;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.Median, StatisticColumn.Min, new RecordsPerSecondColumn());
    }

    private sealed class RecordsPerSecondColumn : IColumn
    {
        public string Id => nameof(RecordsPerSecondColumn);
        public string ColumnName => "Records/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Flow records decoded per second on one core (records per datagram / median time per datagram)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            var stats = summary[benchmarkCase]?.ResultStatistics;
            int records = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<RecordsAttribute>()?.Count ?? 0;
            if (stats is null || records == 0 || stats.Median <= 0) return "-";
            return (records / (stats.Median / 1e9)).ToString("N0", CultureInfo.InvariantCulture);
        }

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
