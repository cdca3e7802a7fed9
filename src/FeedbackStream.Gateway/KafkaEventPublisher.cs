using System.Diagnostics;
using Confluent.Kafka;
using FeedbackStream.Contracts.Telemetry;
using FeedbackStream.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Gateway;

/// <summary>One record for Kafka: the conversation id as key, the event's JSON as value.</summary>
public readonly record struct OutgoingEvent(string Key, byte[] Value);

/// <summary>Kafka did not acknowledge every event of a batch in time; the caller must not answer "accepted".</summary>
public sealed class PublishFailedException : Exception
{
    public PublishFailedException()
    {
    }

    public PublishFailedException(string message)
        : base(message)
    {
    }

    public PublishFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Sends events to the events topic and completes only when Kafka acknowledged every one of them.</summary>
public interface IEventPublisher
{
    Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken);

    /// <summary>Whether the brokers answer a metadata request now.</summary>
    bool IsReachable(TimeSpan timeout);
}

/// <summary>
/// The process's one Kafka producer (idempotent, acks=all, small linger for batching). A batch completes when every
/// delivery report arrived; any failed report or the produce timeout fails the whole batch, and the gateway answers
/// 503 (the events already acknowledged will come again with the client's retry and collapse on event_id).
/// </summary>
public sealed partial class KafkaEventPublisher : IEventPublisher, IDisposable
{
    private static readonly ActivitySource Source = new(TelemetryNames.GatewaySource);

    private readonly IProducer<string, byte[]> _producer;
    private readonly string _topic;
    private readonly TimeSpan _timeout;
    private readonly ILogger<KafkaEventPublisher> _logger;
    private readonly Lazy<IAdminClient> _admin;

    /// <summary>
    /// The gateway's producer settings under any configured passthrough: idempotent, acknowledged by all in-sync
    /// replicas, lz4 batches of up to 1 MB lingering 5 ms, and a delivery deadline of <paramref name="produceTimeout"/>.
    /// A raw producer compared with the gateway uses exactly these.
    /// </summary>
    public static void ProducerDefaults(ProducerConfig config, TimeSpan produceTimeout)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.EnableIdempotence = true;
        config.Acks = Acks.All;
        config.LingerMs = 5;
        config.BatchSize = 1_000_000;
        config.CompressionType = CompressionType.Lz4;
        config.MessageTimeoutMs = (int)Math.Max(1000, produceTimeout.TotalMilliseconds);
    }

    public KafkaEventPublisher(IOptions<KafkaOptions> kafka, IOptions<GatewayOptions> gateway, ILogger<KafkaEventPublisher> logger)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentNullException.ThrowIfNull(gateway);
        _topic = kafka.Value.Topic;
        _timeout = gateway.Value.ProduceTimeout;
        _logger = logger;
        var config = kafka.Value.CreateProducerConfig(c => ProducerDefaults(c, _timeout));
        _producer = new ProducerBuilder<string, byte[]>(config)
            .SetErrorHandler((_, error) => LogKafkaError(error.Code, error.Reason))
            .SetLogHandler((_, message) => LogLibrdkafka(message.Facility, message.Message))
            .Build();
        _admin = new Lazy<IAdminClient>(() => new DependentAdminClientBuilder(_producer.Handle).Build());
    }

    public Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return Task.CompletedTask;
        }

        // The produce span exists only when tracing listens; its context then travels in each record's traceparent header
        // (no header when tracing is off).
        var caller = Activity.Current;
        var activity = Source.StartActivity($"send {_topic}", ActivityKind.Producer);
        // This method is not async: put the caller's current activity back so the span does not leak into its context.
        Activity.Current = caller;
        activity?.SetTag("messaging.system", "kafka");
        activity?.SetTag("messaging.operation.name", "send");
        activity?.SetTag("messaging.operation.type", "send");
        activity?.SetTag("messaging.destination.name", _topic);
        activity?.SetTag("messaging.batch.message_count", events.Count);
        // A sampler that drops the span (its parent request is not sampled) still propagates the caller's context.
        var context = activity?.Context ?? (Source.HasListeners() ? caller?.Context : null);
        Headers? headers = context is { } propagated && propagated != default
            ? [new Header(TelemetryNames.TraceParentHeader, TraceParent.Format(propagated))]
            : null;

        var started = Stopwatch.GetTimestamp();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = events.Count;
        string? firstError = null;
        void OnDelivery(DeliveryReport<string, byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.CompareExchange(ref firstError, $"{report.Error.Code}: {report.Error.Reason}", null);
            }

            if (Interlocked.Decrement(ref pending) == 0)
            {
                if (firstError is null)
                {
                    done.TrySetResult();
                }
                else
                {
                    done.TrySetException(new PublishFailedException($"Kafka did not acknowledge every event ({firstError})."));
                }
            }
        }

        try
        {
            foreach (var item in events)
            {
                _producer.Produce(_topic, new Message<string, byte[]> { Key = item.Key, Value = item.Value, Headers = headers }, OnDelivery);
            }
        }
        catch (ProduceException<string, byte[]> e)
        {
            // E.g. the local queue is full because the brokers are gone: fail now rather than wait.
            Finish(activity, started, events.Count, e.Error.Code.ToString());
            throw new PublishFailedException($"Kafka refused the events locally ({e.Error.Code}: {e.Error.Reason}).", e);
        }

        return WaitAsync(done.Task, activity, started, events.Count, cancellationToken);
    }

    private async Task WaitAsync(Task delivered, Activity? activity, long started, int count, CancellationToken cancellationToken)
    {
        string? error = null;
        try
        {
            // Delivery reports arrive within message.timeout.ms; the extra second covers report dispatch.
            await delivered.WaitAsync(_timeout + TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (TimeoutException e)
        {
            error = "timeout";
            throw new PublishFailedException($"Kafka did not acknowledge the events within {_timeout.TotalSeconds} s.", e);
        }
        catch (Exception e)
        {
            error = e is OperationCanceledException ? "canceled" : e.GetType().Name;
            throw;
        }
        finally
        {
            Finish(activity, started, count, error);
        }
    }

    private void Finish(Activity? activity, long started, int count, string? error)
    {
        MessagingMetrics.Record("send", _topic, count, Stopwatch.GetElapsedTime(started), error);
        if (activity is not null)
        {
            if (error is not null)
            {
                activity.SetTag("error.type", error);
                activity.SetStatus(ActivityStatusCode.Error);
            }

            activity.Dispose();
        }
    }

    public bool IsReachable(TimeSpan timeout)
    {
        try
        {
            var metadata = _admin.Value.GetMetadata(_topic, timeout);
            return metadata.Brokers.Count > 0 && metadata.Topics.Any(t => t.Topic == _topic && !t.Error.IsError);
        }
        catch (KafkaException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }

        _producer.Dispose();
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "librdkafka {Facility}: {Message}")]
    private partial void LogLibrdkafka(string facility, string message);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Kafka producer error {Code}: {Reason}")]
    private partial void LogKafkaError(ErrorCode code, string reason);
}
