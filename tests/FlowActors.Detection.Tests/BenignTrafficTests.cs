using Xunit.Abstractions;

namespace FlowActors.Detection.Tests;

using static Traffic;

public class BenignTrafficTests(ITestOutputHelper output)
{
    [Fact]
    public void A_week_of_benign_traffic_raises_no_alerts_once_learnt()
    {
        // 10 workstations, 2 busy web servers and the DNS resolver for 7 days with the default settings (1-day
        // learning period). Alerts during learning are not counted: rule detectors may fire then, but did not here either.
        const int days = 7;
        var hosts = new List<(FlowAddress Host, IEnumerable<FlowObservation> Traffic)>();
        for (int i = 0; i < 10; i++)
        {
            var host = FlowAddress.FromV4(0x0A00_0A00u + (uint)i);
            hosts.Add((host, BenignTraffic.Workstation(host, seed: 100 + i, hours: days * 24)));
        }

        hosts.Add((Ip("10.0.0.80"), BenignTraffic.WebServer(Ip("10.0.0.80"), seed: 200, hours: days * 24)));
        hosts.Add((Ip("10.0.0.81"), BenignTraffic.WebServer(Ip("10.0.0.81"), seed: 201, hours: days * 24)));
        hosts.Add((Ip("10.0.0.53"), BenignTraffic.ResolverHost(Ip("10.0.0.53"), seed: 300, hours: days * 24)));

        var settings = new DetectionSettings();
        var all = new List<Alert>();
        long observations = 0;
        int maxBytes = 0;
        foreach (var (host, traffic) in hosts)
        {
            var h = new HostBehavior(host, settings);
            var alerts = new List<Alert>();
            foreach (var o in traffic)
            {
                h.Observe(in o, alerts);
                observations++;
            }

            h.AdvanceTo(T0 + (days * 24 * 60 * Minute) + (10 * Minute), alerts);
            maxBytes = Math.Max(maxBytes, h.ApproximateBytes);
            output.WriteLine($"{host}: {h.ApproximateBytes} bytes of state, snapshot {h.SnapshotSize} bytes, {alerts.Count} alerts; {h.DescribeMemory()}");
            all.AddRange(alerts);
        }

        long learnt = T0 + (long)settings.LearningPeriod.TotalMilliseconds;
        var afterLearning = all.Where(a => a.Time > DateTime.UnixEpoch.AddMilliseconds(learnt)).ToList();
        double hostHours = hosts.Count * (days - 1) * 24.0;
        foreach (var a in all) output.WriteLine(a.ToJsonLine());
        output.WriteLine($"{observations} observations; {afterLearning.Count} alerts in {hostHours} learnt host-hours = {afterLearning.Count * 1000 / hostHours:0.##} per 1,000 host-hours");

        Assert.Empty(afterLearning);
    }
}
