namespace FlowActors.Siem.Formats;

/// <summary>
/// The alert's canonical JSON form (one line, snake_case, see DESIGN.md "Alert record"): what the JSON-lines
/// file holds, what <c>flowctl analyze --format jsonl</c> prints and what the webhook posts.
/// </summary>
public static class AlertJsonFormatter
{
    /// <summary>Renders <paramref name="alert"/> as one JSON line (no trailing newline); the context is not used,
    /// because the canonical form describes the alert alone.</summary>
    public static string Format(Alert alert, AlertFormatContext context)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alert.ToJsonLine();
    }
}
