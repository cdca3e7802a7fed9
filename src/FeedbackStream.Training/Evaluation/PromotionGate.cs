namespace FeedbackStream.Training.Evaluation;

/// <summary>When a challenger may replace the champion.</summary>
public sealed record GateOptions
{
    /// <summary>The challenger's AUC may be at most this much below the champion's (both on the same test slice).</summary>
    public double AucTolerance { get; init; } = 0.005;

    /// <summary>The challenger's expected calibration error must be below this.</summary>
    public double MaximumEce { get; init; } = 0.02;

    /// <summary>The challenger's AUC must be at least this (a model no better than chance is never promoted).</summary>
    public double MinimumAuc { get; init; } = 0.55;
}

/// <summary>The gate's answer and why, in words an operator can act on.</summary>
public sealed record GateDecision(bool Promote, string Reason);

/// <summary>The promotion gate: calibration first, then AUC against the champion measured on the challenger's test slice.</summary>
public static class PromotionGate
{
    public static GateDecision Decide(ModelMetrics challenger, ModelMetrics? champion, GateOptions options)
    {
        ArgumentNullException.ThrowIfNull(challenger);
        ArgumentNullException.ThrowIfNull(options);
        if (!double.IsFinite(challenger.Auc) || !double.IsFinite(challenger.Ece))
        {
            return new GateDecision(false, "refused: AUC or calibration error could not be measured on the test slice");
        }

        if (challenger.Ece >= options.MaximumEce)
        {
            return new GateDecision(false, $"refused: calibration error {challenger.Ece:0.0000} is not below {options.MaximumEce:0.0000}");
        }

        if (challenger.Auc < options.MinimumAuc)
        {
            return new GateDecision(false, $"refused: AUC {challenger.Auc:0.0000} is below the floor {options.MinimumAuc:0.0000}");
        }

        if (champion is null)
        {
            return new GateDecision(true, $"promoted: first model (AUC {challenger.Auc:0.0000}, calibration error {challenger.Ece:0.0000})");
        }

        if (challenger.Auc < champion.Auc - options.AucTolerance)
        {
            return new GateDecision(false, $"refused: AUC {challenger.Auc:0.0000} is below the champion's {champion.Auc:0.0000} minus the tolerance {options.AucTolerance:0.0000}");
        }

        return new GateDecision(true, $"promoted: AUC {challenger.Auc:0.0000} vs champion {champion.Auc:0.0000} (tolerance {options.AucTolerance:0.0000}), calibration error {challenger.Ece:0.0000}");
    }
}
