using FeedbackStream.Mining;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Pipeline.Labeling;

/// <summary>Labelling worker settings (configuration section <c>Labeling</c>).</summary>
public sealed class LabelingOptions
{
    public const string SectionName = "Labeling";

    public bool Enabled { get; set; } = true;

    /// <summary>How often the worker looks for conversations with new events or newly settled responses.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>History behind user profiles (bots, spam, base rates).</summary>
    public TimeSpan ProfileLookback { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Conversations loaded per query.</summary>
    public int ConversationsPerChunk { get; set; } = 2000;

    /// <summary>Name of this worker's watermark row; workers labelling the same database share it.</summary>
    public string WorkerName { get; set; } = "labeler";
}

/// <summary>What one labelling pass did.</summary>
public sealed record LabelingPass(int Conversations, int Labels, int Decisions, int Pairs, int Pending, int Orphans, DateTime? Watermark);

/// <summary>
/// Turns stored events into labels, decisions and pairs: every <see cref="LabelingOptions.Interval"/> it takes the
/// conversations that got events since the watermark and those whose last activity crossed the settle horizon since
/// the previous pass, reloads all their events from ClickHouse, labels them with the pure <see cref="SignalLabeler"/>, mines
/// same-prompt pairs against the labels already stored, and writes everything with deterministic ids. No truth lives
/// only in memory: a restart resumes from the stored watermark and recomputes, which replaces rather than duplicates.
/// </summary>
public sealed partial class LabelingWorker(LabelStore store, IFollowupScorer followups, IOptions<MiningOptions> mining, IOptions<LabelingOptions> options, TimeProvider time, ILogger<LabelingWorker> logger)
    : BackgroundService
{
    private readonly MiningOptions _mining = mining.Value;
    private readonly LabelingOptions _options = options.Value;

    /// <summary>Totals since start, for status and tests.</summary>
    public long LabelsWritten { get; private set; }

    public long PairsWritten { get; private set; }

    public LabelingPass? LastPass { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                LastPass = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The next pass recomputes the same window: nothing is lost by waiting.
                LogPassFailed(e.Message);
            }

            await Task.Delay(_options.Interval, time, stoppingToken);
        }
    }

    public async Task<LabelingPass> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var horizonName = _options.WorkerName + ":settled";

        // Two kinds of conversations need work: those with events stored since the watermark, and those whose last
        // activity crossed the settle horizon since the previous pass (their responses just settled). Both markers live
        // in ClickHouse, so a restarted worker continues where the last one stopped; recomputation is idempotent.
        var watermark = await store.ReadWatermarkAsync(_options.WorkerName, cancellationToken) ?? DateTime.UnixEpoch;
        var previousHorizon = await store.ReadWatermarkAsync(horizonName, cancellationToken) ?? DateTime.UnixEpoch;
        var horizon = now.UtcDateTime - _mining.SettleWindow;
        var (touched, newest) = await store.TouchedSinceAsync(watermark, cancellationToken);
        var settled = horizon > previousHorizon ? await store.SettledBetweenAsync(previousHorizon, horizon, cancellationToken) : [];
        var conversations = touched.Union(settled, StringComparer.Ordinal).ToList();
        int labels = 0, decisions = 0, pairs = 0, pending = 0, orphans = 0;
        var labeler = new SignalLabeler(_mining, followups);
        foreach (var chunk in conversations.Chunk(_options.ConversationsPerChunk))
        {
            var events = await store.EventsAsync(chunk, cancellationToken);
            var users = events.Select(e => e.Event.UserId).ToHashSet(StringComparer.Ordinal);
            var (profiles, population) = await store.ProfilesAsync(users, _options.ProfileLookback, cancellationToken);
            var batch = labeler.Label(events, profiles, population, now);
            var keys = batch.Labels.Select(l => l.PromptKey).ToHashSet(StringComparer.Ordinal);
            var known = keys.Count == 0 ? [] : await store.LabelsForPromptsAsync(keys, cancellationToken);
            var fresh = batch.Labels.Select(l => l.LabelId).ToHashSet(StringComparer.Ordinal);
            var siblings = SiblingMiner.Mine(batch.Labels.Concat(known.Where(l => !fresh.Contains(l.LabelId))), _mining);
            await store.WriteAsync(batch, siblings, now.UtcDateTime, cancellationToken);
            labels += batch.Labels.Count;
            decisions += batch.Decisions.Count;
            pairs += batch.Pairs.Count + siblings.Count;
            pending += batch.PendingResponses;
            orphans += batch.OrphanSignals;
        }

        if (newest is { } advanced && advanced > watermark)
        {
            await store.WriteWatermarkAsync(_options.WorkerName, advanced, cancellationToken);
        }

        if (horizon > previousHorizon)
        {
            await store.WriteWatermarkAsync(horizonName, horizon, cancellationToken);
        }

        LabelsWritten += labels;
        PairsWritten += pairs;
        return new LabelingPass(conversations.Count, labels, decisions, pairs, pending, orphans, newest);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Labelling pass failed; the next pass recomputes the same window: {Error}")]
    private partial void LogPassFailed(string error);
}
