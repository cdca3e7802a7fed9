namespace FeedbackStream.Mining;

/// <summary>
/// The one rule that says when a response's label is final: its last activity (the newest <c>occurred_at</c> of the
/// response and of every signal about it, on the client's clock as the gateway bounded it) lies at least
/// <see cref="Window"/> before the labeller's clock. The labeller, the selection of due conversations and the
/// invariant check all ask this type, so there is one clock rule, not three. Pure.
/// </summary>
/// <param name="Window">Quiet time after the last activity before a label is final.</param>
/// <param name="Grace">Extra time the invariant check allows beyond <see cref="Window"/> before it calls a missing
/// or stale label a violation (labelling passes, pipeline lag).</param>
public sealed record SettlePolicy(TimeSpan Window, TimeSpan Grace)
{
    public static SettlePolicy From(MiningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SettlePolicy(options.SettleWindow, options.SettleGrace);
    }

    /// <summary>When a response whose last activity is <paramref name="lastActivity"/> settles.</summary>
    public DateTimeOffset DueAt(DateTimeOffset lastActivity) => lastActivity + Window;

    public bool IsSettled(DateTimeOffset lastActivity, DateTimeOffset now) => now >= DueAt(lastActivity);

    /// <summary>Responses whose last activity is at or before this instant must have a current label (the invariant).</summary>
    public DateTimeOffset InvariantHorizon(DateTimeOffset now) => now - Window - Grace;
}
