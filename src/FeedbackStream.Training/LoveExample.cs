namespace FeedbackStream.Training;

/// <summary>
/// One settled response as the P[Love] model sees it (a row of <c>response_labels</c>): what was asked and answered,
/// where and by which model, when, and whether it earned a Love.
/// </summary>
/// <param name="Id">The label id (stable across recomputation).</param>
/// <param name="Context">The prompt (and any earlier context) the response answered.</param>
/// <param name="LatencyMs">Time to the response, or 0 when the app did not send it.</param>
/// <param name="Love">Whether a Love survived denoising.</param>
/// <param name="Weight">The label's confidence (base-rate weighting), 1 for a fully trusted label.</param>
public sealed record LoveExample(
    string Id,
    string AppId,
    string UserId,
    string ModelVersion,
    string Surface,
    string Context,
    string Response,
    int TurnIndex,
    double LatencyMs,
    DateTimeOffset ServedAt,
    bool Love,
    double Weight = 1.0);

/// <summary>A preference pair for the pairwise model: the chosen and rejected responses to one context.</summary>
public sealed record PairExample(string PairId, LoveExample Chosen, LoveExample Rejected, DateTimeOffset MinedAt);
