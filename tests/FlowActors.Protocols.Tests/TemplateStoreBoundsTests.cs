using FlowActors.Protocols.Templates;

namespace FlowActors.Protocols.Tests;

/// <summary>The replicated template store's bounds (issue 10, finding 1): quotas, fair share and an age limit.</summary>
public sealed class TemplateStoreBoundsTests
{
    private static readonly FlowAddress A = FlowAddress.Parse("192.0.2.1");
    private static readonly FlowAddress B = FlowAddress.Parse("192.0.2.2");

    private static TemplateKey Key(FlowAddress exporter, ushort id) => new(exporter, 10, 0, id);

    [Fact]
    public void An_exporter_at_its_quota_replaces_its_least_recently_refreshed_template()
    {
        var bounds = new TemplateStoreBounds(10, 2, TimeSpan.FromMinutes(30));
        bounds.Admit(Key(A, 256), 1_000, out _);
        bounds.Admit(Key(A, 257), 2_000, out _);
        bounds.Admit(Key(A, 256), 3_000, out _); // refreshed: 257 is now the least recently refreshed

        var admission = bounds.Admit(Key(A, 258), 4_000, out var evicted);

        Assert.Equal(TemplateAdmission.AddedWithEviction, admission);
        Assert.Equal(Key(A, 257), evicted);
        Assert.Equal(2, bounds.CountFor(A));
    }

    [Fact]
    public void A_full_store_takes_from_the_exporter_holding_the_most_and_refuses_beyond_a_fair_share()
    {
        var bounds = new TemplateStoreBounds(4, 4, TimeSpan.FromMinutes(30));
        for (ushort id = 256; id < 260; id++) bounds.Admit(Key(A, id), id, out _);

        Assert.Equal(TemplateAdmission.AddedWithEviction, bounds.Admit(Key(B, 256), 1_000, out var evicted));
        Assert.Equal(Key(A, 256), evicted);
        Assert.Equal(TemplateAdmission.AddedWithEviction, bounds.Admit(Key(B, 257), 1_001, out _));
        Assert.Equal(TemplateAdmission.Refused, bounds.Admit(Key(B, 258), 1_002, out _)); // 2 and 2: the share is even

        Assert.Equal((2, 2), (bounds.CountFor(A), bounds.CountFor(B)));
        Assert.Equal(1, bounds.Refused);
        Assert.Equal(2, bounds.Evicted);
    }

    [Fact]
    public void Templates_not_refreshed_within_the_age_limit_are_pruned()
    {
        var bounds = new TemplateStoreBounds(10, 10, TimeSpan.FromMinutes(30));
        bounds.Admit(Key(A, 256), 0, out _);
        bounds.Admit(Key(A, 257), 0, out _);
        bounds.Admit(Key(A, 257), 20 * 60_000, out _);

        var expired = bounds.TakeExpired(31 * 60_000);

        Assert.Equal([Key(A, 256)], expired);
        Assert.True(bounds.Contains(Key(A, 257)));
        Assert.False(bounds.Contains(Key(A, 256)));
        Assert.Equal(1, bounds.Expired);
        Assert.True(bounds.IsStale(0, 31 * 60_000));
        Assert.False(bounds.IsStale(20 * 60_000, 31 * 60_000));
    }
}
