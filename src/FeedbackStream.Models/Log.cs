using Microsoft.Extensions.Logging;

namespace FeedbackStream.Models;

/// <summary>Log messages of training, scoring and the retraining job (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Run {Run}: read {Rows} labels ({Pairs} pairs) pinned at {Pinned:o}, training negatives sampled at {Rate}")]
    public static partial void DataRead(ILogger logger, string run, int rows, int pairs, DateTime pinned, double rate);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Run {Run}: {Line}")]
    public static partial void Progress(ILogger logger, string run, string line);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Run {Run}: {Version} {Decision}")]
    public static partial void Decided(ILogger logger, string run, string version, string decision);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Run {Run} {Status}: {Error}")]
    public static partial void RunFailed(ILogger logger, Exception exception, string run, string status, string error);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Scoring with {Version} (was {Previous})")]
    public static partial void Serving(ILogger logger, string version, string previous);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Could not load the champion model: {Error}")]
    public static partial void LoadFailed(ILogger logger, Exception exception, string error);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Retrain job {Job} ({Trigger}) attempt {Attempt}")]
    public static partial void JobStarted(ILogger logger, Guid job, string trigger, int attempt);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Information, Message = "Retraining scheduled by '{Cron}' (UTC), next at {Next:o}")]
    public static partial void Scheduled(ILogger logger, string cron, DateTime? next);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Warning, Message = "Retrain trigger check failed: {Error}")]
    public static partial void TriggerFailed(ILogger logger, Exception exception, string error);

    [LoggerMessage(EventId = 5023, Level = LogLevel.Information, Message = "Retrain trigger {Trigger} skipped: a job is already queued or running")]
    public static partial void TriggerSkipped(ILogger logger, string trigger);

    [LoggerMessage(EventId = 5024, Level = LogLevel.Information, Message = "Retrain job {Job} submitted by trigger {Trigger} {Why}")]
    public static partial void TriggerSubmitted(ILogger logger, Guid job, string trigger, string why);

    [LoggerMessage(EventId = 5025, Level = LogLevel.Information, Message = "Retrain job {Job} skipped: it is {State}")]
    public static partial void JobSkipped(ILogger logger, Guid job, string state);

    [LoggerMessage(EventId = 5026, Level = LogLevel.Warning, Message = "Retrain job {Job} {State}: {Reason}")]
    public static partial void JobEnded(ILogger logger, Exception exception, Guid job, string state, string reason);

    [LoggerMessage(EventId = 5027, Level = LogLevel.Warning, Message = "Retrain job {Job} attempt {Attempt} failed, retrying: {Error}")]
    public static partial void JobRetrying(ILogger logger, Exception exception, Guid job, int attempt, string error);

    [LoggerMessage(EventId = 5028, Level = LogLevel.Warning, Message = "Retrain job {Job}: heartbeat not recorded: {Error}")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception, Guid job, string error);

    [LoggerMessage(EventId = 5029, Level = LogLevel.Warning, Message = "Retrain job {Job} lost: {Reason}")]
    public static partial void JobLost(ILogger logger, Guid job, string reason);

    [LoggerMessage(EventId = 5030, Level = LogLevel.Warning, Message = "Retrain job {Job}: the cancellation is recorded but could not be published ({Error}); the trainer's heartbeat will read it")]
    public static partial void CancelNotPublished(ILogger logger, Exception exception, Guid job, string error);
}
