using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using FeedbackStream.Auth;
using FeedbackStream.Contracts;
using FeedbackStream.Contracts.Telemetry;
using Microsoft.Extensions.Options;

namespace FeedbackStream.Gateway;

/// <summary>
/// The gateway's work on one parsed batch: validate each event against the v1 contract, check the key may send for
/// its app, apply the clock-skew and age limits, recognise duplicates, redact free text (failing closed), stamp
/// received_at, publish to Kafka and answer only after every acknowledgement. Bad events are rejected one by one;
/// they never hold back the good events beside them.
/// </summary>
public sealed class IngestService : IDisposable
{
    private static readonly Meter Meter = new(TelemetryNames.GatewayMeter);
    private static readonly Counter<long> Events = Meter.CreateCounter<long>(TelemetryNames.GatewayEvents, "{event}", "Events by outcome (accepted, duplicate, rejected) and, for rejected, reason.");

    private readonly GatewayOptions _options;
    private readonly EventValidator _validator;
    private readonly PiiRedactor _redactor;
    private readonly RecentEventIds _recent;
    private readonly IEventPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly ITimer _expireRecent;

    public IngestService(IOptions<GatewayOptions> options, IEventPublisher publisher, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _validator = new EventValidator(new EventValidatorOptions { MaxTextLength = _options.MaxTextChars });
        _redactor = new PiiRedactor(_options.Redaction);
        _recent = new RecentEventIds(_options.RecentEventIdCapacity, _options.RecentEventIdWindow, time);
        _publisher = publisher;
        _time = time;

        // Expired ids are dropped on a timer too, so an idle gateway gives back the memory of a burst.
        var period = TimeSpan.FromTicks(Math.Clamp(_options.RecentEventIdWindow.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _expireRecent = time.CreateTimer(_ => _recent.RemoveExpired(), null, period, period);
    }

    public void Dispose() => _expireRecent.Dispose();

    /// <summary>
    /// Processes a batch. Returns a refusal for the whole request (403) or the per-event results; throws
    /// <see cref="PublishFailedException"/> when Kafka did not acknowledge, which the endpoint answers with 503.
    /// </summary>
    public async Task<(IngestResponse? Response, RequestRefusal? Refusal)> IngestAsync(
        ApiKeyPrincipal caller, IReadOnlyList<ParsedEvent> batch, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var results = new IngestResult?[batch.Count];
        var reasons = new string?[batch.Count];
        var outgoing = new List<OutgoingEvent>(batch.Count);
        var outgoingIndex = new List<int>(batch.Count);
        var seenInBatch = new HashSet<(string, string)>();
        var forbiddenApps = new SortedSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < batch.Count; i++)
        {
            var item = batch[i];
            var root = $"$[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (item.ParseError is not null)
            {
                results[i] = Reject(i, null, new IngestError(root, item.ParseError));
                reasons[i] = "parse";
                continue;
            }

            var validation = _validator.Validate(item.Element);
            if (!validation.IsValid)
            {
                var appId = ReadString(item.Element, "app_id");
                if (appId is not null && !caller.MaySendFor(appId))
                {
                    forbiddenApps.Add(appId);
                }

                results[i] = Reject(i, ReadString(item.Element, "event_id"), validation.Errors.Select(e => new IngestError(Rebase(e.Path, root), e.Reason)).ToArray());
                reasons[i] = "schema";
                continue;
            }

            var value = validation.Event;
            if (!caller.MaySendFor(value.AppId))
            {
                forbiddenApps.Add(value.AppId);
                continue;
            }

            var identifierError = CheckIdentifiers(value, root);
            if (identifierError is not null)
            {
                results[i] = Reject(i, value.EventId, identifierError);
                reasons[i] = "identifier";
                continue;
            }

            var limitError = CheckTime(value.OccurredAt, now, root);
            if (limitError is not null)
            {
                results[i] = Reject(i, value.EventId, limitError);
                reasons[i] = "time_limit";
                continue;
            }

            if (!seenInBatch.Add((value.AppId, value.EventId)) || _recent.Contains(value.AppId, value.EventId))
            {
                results[i] = new IngestResult(i, value.EventId, IngestStatus.Duplicate);
                continue;
            }

            FeedbackEvent redacted;
            try
            {
                redacted = Redact(value) with { ReceivedAt = now };
            }
            catch (RedactionFailedException e)
            {
                results[i] = Reject(i, value.EventId, new IngestError($"{root}.payload", $"could not be redacted, so it was not forwarded: {e.Message}"));
                reasons[i] = "redaction";
                continue;
            }

            outgoing.Add(new OutgoingEvent(redacted.ConversationId, FeedbackJson.Serialize(redacted)));
            outgoingIndex.Add(i);
        }

        if (forbiddenApps.Count > 0)
        {
            return (null, new RequestRefusal(
                StatusCodes403,
                "API key not allowed for app",
                $"The API key '{caller.Name}' may not send events for app_id {string.Join(", ", forbiddenApps)}. Nothing in this request was accepted."));
        }

        await _publisher.PublishAsync(outgoing, cancellationToken);

        foreach (var i in outgoingIndex)
        {
            var item = batch[i];
            var eventId = ReadString(item.Element, "event_id")!;
            _recent.Add(ReadString(item.Element, "app_id")!, eventId);
            results[i] = new IngestResult(i, eventId, IngestStatus.Accepted);
        }

        var final = results.Select(r => r!).ToArray();
        var accepted = final.Count(r => r.Status == IngestStatus.Accepted);
        var duplicates = final.Count(r => r.Status == IngestStatus.Duplicate);
        var rejected = final.Length - accepted - duplicates;
        Events.Add(accepted, new KeyValuePair<string, object?>("outcome", "accepted"));
        Events.Add(duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
        foreach (var group in reasons.Where(r => r is not null).GroupBy(r => r!, StringComparer.Ordinal))
        {
            Events.Add(group.Count(), new KeyValuePair<string, object?>("outcome", "rejected"), new KeyValuePair<string, object?>("reason", group.Key));
        }

        return (new IngestResponse(accepted, duplicates, rejected, final), null);
    }

    private const int StatusCodes403 = 403;

    private IngestError? CheckTime(DateTimeOffset occurredAt, DateTimeOffset now, string root)
    {
        if (occurredAt > now + _options.MaxClockSkew)
        {
            return new IngestError($"{root}.occurred_at", $"is ahead of the gateway clock by more than the limit max_clock_skew = {_options.MaxClockSkew} ({(occurredAt - now).TotalSeconds:F0} s ahead)");
        }

        if (occurredAt < now - _options.MaxEventAge)
        {
            return new IngestError($"{root}.occurred_at", $"is older than the limit max_event_age = {_options.MaxEventAge}");
        }

        return null;
    }

    /// <summary>Identifiers are stored as sent, so one that is a card or phone number is refused rather than redacted.</summary>
    private static IngestError? CheckIdentifiers(FeedbackEvent value, string root)
    {
        var responseId = value.Payload switch
        {
            ResponseServed served => served.ResponseId,
            ReactionSet set => set.ResponseId,
            ReactionCleared cleared => cleared.ResponseId,
            FollowupSent followup => followup.ResponseId,
            ResponseAction action => action.ResponseId,
            _ => null,
        };
        if (PiiRedactor.PersonalDataInIdentifier(value.UserId) is { } userReason)
        {
            return new IngestError($"{root}.user_id", userReason);
        }

        return responseId is not null && PiiRedactor.PersonalDataInIdentifier(responseId) is { } responseReason
            ? new IngestError($"{root}.payload.response_id", responseReason)
            : null;
    }

    /// <summary>Redacts every free-text field of the payload; identifiers and enums are not free text.</summary>
    private FeedbackEvent Redact(FeedbackEvent value)
    {
        string? R(string? text) => text is null ? null : _redactor.Redact(text).Text;
        EventPayload payload = value.Payload switch
        {
            ResponseServed served => served with { PromptText = R(served.PromptText), ResponseText = R(served.ResponseText)! },
            FollowupSent followup => followup with { Text = R(followup.Text)! },
            ResponseAction action => action with { EditedText = R(action.EditedText) },
            _ => value.Payload,
        };
        return value with { Payload = payload };
    }

    private static IngestResult Reject(int index, string? eventId, params IngestError[] errors) => new(index, eventId, IngestStatus.Rejected, errors);

    private static string Rebase(string path, string root) => path.StartsWith('$') ? root + path[1..] : $"{root}.{path}";

    /// <summary>A string field of a possibly invalid event; null when absent, not a string, or not valid Unicode.</summary>
    private static string? ReadString(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        try
        {
            return element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 or an unpaired surrogate escape, in this value or in a property name compared on the way.
            return null;
        }
    }
}

/// <summary>One event as it came off the wire: its JSON, or why it could not be parsed (NDJSON lines are parsed one by one).</summary>
public readonly record struct ParsedEvent(JsonElement Element, string? ParseError);
