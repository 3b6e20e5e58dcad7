using System.Diagnostics.Metrics;
using FlowActors.Node.Operator;

namespace FlowActors.Node.Tests;

public sealed class PrometheusExporterTests
{
    // Each test uses its own meter name prefix so parallel tests (and the nodes other tests start) do not mix in.
    private static (Meter Meter, PrometheusExporter Exporter) Create(string prefix)
    {
        var exporter = new PrometheusExporter([prefix]);
        return (new Meter(prefix + ".Test"), exporter);
    }

    [Fact]
    public void Counter_sums_per_tag_set_whatever_the_tag_order()
    {
        var (meter, exporter) = Create("PromCounter");
        using (meter)
        using (exporter)
        {
            var counter = meter.CreateCounter<long>("flowactors.receiver.datagrams", "{datagram}", "Datagrams received.");
            counter.Add(3, new("port", 2055), new("version", "v9"));
            counter.Add(4, new("version", "v9"), new("port", 2055));
            counter.Add(5, new("port", 4739), new("version", "ipfix"));

            string text = exporter.Scrape();

            Assert.Equal(
                "# HELP flowactors_receiver_datagrams_total Datagrams received.\n" +
                "# TYPE flowactors_receiver_datagrams_total counter\n" +
                "flowactors_receiver_datagrams_total{port=\"2055\",version=\"v9\"} 7\n" +
                "flowactors_receiver_datagrams_total{port=\"4739\",version=\"ipfix\"} 5\n",
                text);
        }
    }

    [Fact]
    public void Observable_gauge_reports_the_current_value_and_units_become_suffixes()
    {
        var (meter, exporter) = Create("PromGauge");
        using (meter)
        using (exporter)
        {
            double depth = 12.5;
            meter.CreateObservableGauge("flowactors.forwarder.outbox", () => depth, "By", "Outbox size.");

            Assert.Contains("flowactors_forwarder_outbox_bytes 12.5\n", exporter.Scrape());
            depth = 3;
            Assert.Contains("flowactors_forwarder_outbox_bytes 3\n", exporter.Scrape());
        }
    }

    [Fact]
    public void Histogram_becomes_a_summary_with_sum_and_count()
    {
        var (meter, exporter) = Create("PromHistogram");
        using (meter)
        using (exporter)
        {
            var histogram = meter.CreateHistogram<double>("flowactors.batch.size");
            histogram.Record(10);
            histogram.Record(30.5);

            string text = exporter.Scrape();

            Assert.Contains("# TYPE flowactors_batch_size summary\n", text);
            Assert.Contains("flowactors_batch_size_sum 40.5\n", text);
            Assert.Contains("flowactors_batch_size_count 2\n", text);
        }
    }

    [Fact]
    public void Label_values_are_escaped()
    {
        var (meter, exporter) = Create("PromEscape");
        using (meter)
        using (exporter)
        {
            meter.CreateUpDownCounter<int>("flowactors.odd").Add(-2, new KeyValuePair<string, object?>("sink", "a\"b\\c\nd"));

            Assert.Contains("flowactors_odd{sink=\"a\\\"b\\\\c\\nd\"} -2\n", exporter.Scrape());
        }
    }

    [Fact]
    public void Meters_outside_the_prefixes_are_not_exported()
    {
        var (meter, exporter) = Create("PromOnly");
        using (meter)
        using (exporter)
        using (var other = new Meter("SomebodyElse.Test"))
        {
            other.CreateCounter<long>("somebody.else").Add(1);

            Assert.DoesNotContain("somebody_else", exporter.Scrape());
        }
    }

    [Fact]
    public void Series_per_instrument_are_bounded()
    {
        var (meter, exporter) = Create("PromBound");
        using (meter)
        using (exporter)
        {
            var counter = meter.CreateCounter<long>("flowactors.many");
            for (int i = 0; i < PrometheusExporter.MaxSeriesPerInstrument + 10; i++)
            {
                counter.Add(1, new KeyValuePair<string, object?>("exporter", i));
            }

            Assert.Equal(10, exporter.DroppedSeries);
            Assert.Equal(PrometheusExporter.MaxSeriesPerInstrument, exporter.Scrape().Split('\n').Count(l => l.StartsWith("flowactors_many_total{", StringComparison.Ordinal)));
        }
    }
}
