namespace FlowActors.Detection.Tests;

using static Traffic;

/// <summary>A steady, learnt host: a quiet workstation's hours of web and DNS before an attack window.</summary>
internal static class Learning
{
    public static readonly TimeSpan Period = TimeSpan.FromHours(2);

    /// <summary>Settings with a 2-hour learning period.</summary>
    public static DetectionSettings LearnedSettings() => new() { LearningPeriod = Period };

    /// <summary>
    /// Feeds <paramref name="hours"/> of quiet traffic from <see cref="T0"/> (one web fetch, one DNS query and, every
    /// 10 minutes, an SMB session to the file server per minute) and returns the time the attack may start (a
    /// window boundary). Asserts nothing fired.
    /// </summary>
    public static long Learn(HostBehavior h, int hours = 3, int seed = 1)
    {
        var rnd = new Random(seed);
        var alerts = new List<Alert>();
        long end = T0 + (hours * 60 * Minute);
        for (long t = T0; t < end; t += Minute)
        {
            // Browsing at irregular moments to a handful of sites (a fixed period would rightly look like a beacon).
            var site = FlowAddress.FromV4(0x5DB8_D800u + (uint)rnd.Next(1, 6));
            long at = t + rnd.Next(0, 58_000);
            var web = Out(site, 443, (ushort)rnd.Next(40_000, 60_000), bytes: (ulong)rnd.Next(800, 20_000), startMs: at);
            h.Observe(in web, alerts);
            var page = In(site, web.LocalPort, 443, bytes: (ulong)rnd.Next(40_000, 60_000), startMs: at);
            h.Observe(in page, alerts);
            var dns = Out(Ip("10.0.0.53"), 53, (ushort)rnd.Next(40_000, 60_000), proto: 17, flags: 0, packets: 1, bytes: (ulong)rnd.Next(60, 90), startMs: t + rnd.Next(0, 58_000));
            h.Observe(in dns, alerts);
            if ((t - T0) % (10 * Minute) == 0)
            {
                var smb = Out(Ip("10.0.1.20"), 445, (ushort)rnd.Next(49_152, 60_000), bytes: 20_000, startMs: t + 2_000);
                h.Observe(in smb, alerts);
            }
        }

        Assert.Empty(alerts);
        return end;
    }

    /// <summary>Feeds the attack observations then a minute of quiet traffic per minute for 15 minutes, and returns the alerts.</summary>
    public static List<Alert> Then(HostBehavior h, IEnumerable<FlowObservation> attack)
    {
        var alerts = new List<Alert>();
        long last = 0;
        foreach (var o in attack)
        {
            h.Observe(in o, alerts);
            last = Math.Max(last, o.EndMs);
        }

        h.AdvanceTo(last + (15 * Minute), alerts);
        return alerts;
    }
}
