using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FeedbackStream.Contracts.Tests;

/// <summary>A sample event for the agreement test: valid when <see cref="ExpectedPath"/> is null.</summary>
internal sealed record Sample(string Name, string Type, JsonNode Json, string? ExpectedPath)
{
    public bool IsValid => ExpectedPath is null;

    public string Text => Samples.ToText(Json);

    public override string ToString() => Name;
}

/// <summary>Sample events built in code: valid bases per type and a corpus of valid and invalid variations.</summary>
internal static class Samples
{
    public const string Served = EventTypes.ResponseServed;
    public const string Set = EventTypes.ReactionSet;
    public const string Cleared = EventTypes.ReactionCleared;
    public const string Followup = EventTypes.FollowupSent;
    public const string Action = EventTypes.ResponseAction;

    private static readonly JsonSerializerOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Lazy<IReadOnlyList<Sample>> LazyCorpus = new(BuildCorpus);

    public static IReadOnlyList<Sample> Corpus => LazyCorpus.Value;

    public static IEnumerable<string> CorpusNames => Corpus.Select(s => s.Name);

    public static Sample Get(string name) => Corpus.Single(s => s.Name == name);

    public static string ToText(JsonNode node) => node.ToJsonString(WriteOptions);

    public static JsonNode Raw(string json) => JsonNode.Parse(json)!;

    public static string Repeat(string unit, int count) => string.Concat(Enumerable.Repeat(unit, count));

    /// <summary>A minimal valid event of <paramref name="type"/>.</summary>
    public static JsonObject Base(string type) => Envelope(type, type switch
    {
        Served => new JsonObject
        {
            ["response_id"] = "resp-1",
            ["turn_index"] = 0,
            ["prompt_text"] = "What is 2+2?",
            ["response_text"] = "4",
            ["model_version"] = "policy-2024-05",
        },
        Set or Cleared => new JsonObject { ["response_id"] = "resp-1", ["reaction"] = "love" },
        Followup => new JsonObject { ["response_id"] = "resp-1", ["text"] = "thanks, perfect" },
        Action => new JsonObject { ["response_id"] = "resp-1", ["action"] = "copy" },
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    });

    /// <summary>A valid event of <paramref name="type"/> with every optional field set.</summary>
    public static JsonObject Full(string type)
    {
        var e = Base(type);
        e["received_at"] = "2024-05-01T12:00:01.5+02:00";
        var p = e["payload"]!.AsObject();
        switch (type)
        {
            case Served:
                p["prompt_hash"] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
                p["regenerated_from"] = "resp-0";
                p["candidate_index"] = 1;
                p["latency_ms"] = 812.5;
                p["surface"] = "web";
                p["locale"] = "pt-BR";
                break;
            case Set or Cleared:
                p["shown_to_reaction_ms"] = 5300;
                break;
            case Followup:
                p["shown_to_followup_ms"] = 12000;
                break;
            default:
                p["action"] = "edit";
                p["edited_text"] = "4 (four)";
                p["shown_to_action_ms"] = 900;
                break;
        }

        return e;
    }

    public static JsonObject Envelope(string type, JsonObject payload) => new()
    {
        ["event_id"] = "evt-0001",
        ["type"] = type,
        ["schema_version"] = 1,
        ["app_id"] = "chat.web",
        ["occurred_at"] = "2024-05-01T12:00:00.123Z",
        ["user_id"] = "u_9f86d081",
        ["conversation_id"] = "conv:42",
        ["payload"] = payload,
    };

    /// <summary>Sets (or, with <paramref name="remove"/>, removes) the field at a dotted path such as <c>payload.reaction</c>.</summary>
    public static JsonObject With(this JsonObject root, string path, JsonNode? value, bool remove = false)
    {
        var parts = path.Split('.');
        var target = root;
        foreach (var part in parts[..^1])
        {
            target = target[part]!.AsObject();
        }

        if (remove)
        {
            target.Remove(parts[^1]);
        }
        else
        {
            target[parts[^1]] = value;
        }

        return root;
    }

    public static JsonObject Without(this JsonObject root, string path) => root.With(path, null, remove: true);

    private static List<Sample> BuildCorpus()
    {
        var list = new List<Sample>();
        void Valid(string name, string type, JsonNode json) => list.Add(new Sample("valid: " + name, type, json, null));
        void Invalid(string name, string type, JsonNode json, string path) => list.Add(new Sample("invalid: " + name, type, json, path));

        // ---- valid ----
        foreach (var type in EventTypes.All)
        {
            Valid($"{type} minimal", type, Base(type));
            Valid($"{type} with every optional field", type, Full(type));
        }

        foreach (var reaction in WireNames.Reactions)
        {
            Valid($"reaction.set {reaction}", Set, Base(Set).With("payload.reaction", reaction));
        }

        foreach (var action in WireNames.Actions.Where(a => a != "edit"))
        {
            Valid($"response.action {action}", Action, Base(Action).With("payload.action", action));
        }

        Valid("served with prompt_hash only", Served, Base(Served).Without("payload.prompt_text").With("payload.prompt_hash", "0123456789abcdef"));
        Valid("served with empty texts", Served, Base(Served).With("payload.prompt_text", "").With("payload.response_text", ""));
        Valid("served regenerated_from null", Served, Base(Served).With("payload.regenerated_from", null));
        Valid("served turn_index written 2.0", Served, Base(Served).With("payload.turn_index", Raw("2.0")));
        Valid("served candidate_index written 1E1", Served, Base(Served).With("payload.candidate_index", Raw("1E1")));
        Valid("served latency_ms 0", Served, Base(Served).With("payload.latency_ms", 0));
        Valid("served locale zh-Hant-TW", Served, Base(Served).With("payload.locale", "zh-Hant-TW"));
        Valid("served model_version with punctuation", Served, Base(Served).With("payload.model_version", "org/model:v2@2024+ft"));
        Valid("served response_text 32768 emoji (code points)", Served, Base(Served).With("payload.response_text", Repeat("\U0001F600", 32768)));
        Valid("schema_version written 1.0", Set, Base(Set).With("schema_version", Raw("1.0")));
        Valid("event_id 128 chars", Set, Base(Set).With("event_id", Repeat("a", 128)));
        Valid("event_id uuid", Set, Base(Set).With("event_id", "0b5f3f6e-8a8c-4c8e-9d0a-2f1c3e4d5b6a"));
        Valid("app_id 64 chars", Set, Base(Set).With("app_id", Repeat("a", 64)));
        Valid("followup text unicode", Followup, Base(Followup).With("payload.text", "não, está errado 😞 \u0000 \n"));
        Valid("followup text 32768 chars", Followup, Base(Followup).With("payload.text", Repeat("x", 32768)));
        Valid("payload fields before type", Set, Raw("""{"payload":{"reaction":"like","response_id":"r"},"conversation_id":"c","user_id":"u","occurred_at":"2024-01-01T00:00:00Z","app_id":"a","schema_version":1,"type":"reaction.set","event_id":"e"}"""));
        foreach (var ts in new[]
        {
            "2024-02-29T23:59:59Z", "2000-02-29T00:00:00Z", "1900-01-01T00:00:00Z", "2999-12-31T23:59:59.999999999Z",
            "2024-05-01t12:00:00z", "2024-05-01T12:00:00+14:00", "2024-05-01T12:00:00-13:59", "2024-05-01T12:00:00-00:00",
            "2024-05-01T12:00:00.1+05:30",
        })
        {
            Valid($"occurred_at {ts}", Set, Base(Set).With("occurred_at", ts));
        }

        // ---- invalid: envelope ----
        Invalid("event is an array", Set, new JsonArray(), "$");
        foreach (var field in new[] { "event_id", "type", "schema_version", "app_id", "occurred_at", "user_id", "conversation_id", "payload" })
        {
            Invalid($"missing {field}", Set, Base(Set).Without(field), "$." + field);
        }

        Invalid("unknown envelope field", Set, Base(Set).With("trace_id", "x"), "$.trace_id");
        Invalid("event_id empty", Set, Base(Set).With("event_id", ""), "$.event_id");
        Invalid("event_id 129 chars", Set, Base(Set).With("event_id", Repeat("a", 129)), "$.event_id");
        Invalid("event_id with space", Set, Base(Set).With("event_id", "evt 1"), "$.event_id");
        Invalid("event_id with trailing newline", Set, Base(Set).With("event_id", "evt-1\n"), "$.event_id");
        Invalid("event_id non-ASCII", Set, Base(Set).With("event_id", "évt"), "$.event_id");
        Invalid("event_id number", Set, Base(Set).With("event_id", 17), "$.event_id");
        Invalid("event_id null", Set, Base(Set).With("event_id", null), "$.event_id");
        Invalid("type unknown", Set, Base(Set).With("type", "reaction.removed"), "$.type");
        Invalid("type wrong case", Set, Base(Set).With("type", "Reaction.Set"), "$.type");
        Invalid("type number", Set, Base(Set).With("type", 1), "$.type");
        Invalid("schema_version 2", Set, Base(Set).With("schema_version", 2), "$.schema_version");
        Invalid("schema_version string", Set, Base(Set).With("schema_version", "1"), "$.schema_version");
        Invalid("schema_version 1.5", Set, Base(Set).With("schema_version", 1.5), "$.schema_version");
        Invalid("app_id uppercase", Set, Base(Set).With("app_id", "Chat"), "$.app_id");
        Invalid("app_id with colon", Set, Base(Set).With("app_id", "chat:web"), "$.app_id");
        Invalid("app_id empty", Set, Base(Set).With("app_id", ""), "$.app_id");
        Invalid("app_id 65 chars", Set, Base(Set).With("app_id", Repeat("a", 65)), "$.app_id");
        foreach (var ts in new[]
        {
            "2024-05-01T12:00:00", "2024-05-01 12:00:00Z", "2024-05-01_12:00:00Z", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z",
            "2024-05-00T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T23:59:60Z", "2024-05-01T12:00:00+14:30",
            "2024-05-01T12:00:00+15:00", "2024-05-01T12:00:00+0200", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00.1234567890Z",
            "1899-12-31T23:59:59Z", "3000-01-01T00:00:00Z", "2024-05-01", "2024-5-1T12:00:00Z", "2024-05-01T12:00Z",
            "2024-05-01T12:00:00Z\n", " 2024-05-01T12:00:00Z", "2024-05-01T12:00:00+02:00[Europe/Paris]",
        })
        {
            Invalid($"occurred_at {ts.Replace("\n", "\\n", StringComparison.Ordinal)}", Set, Base(Set).With("occurred_at", ts), "$.occurred_at");
        }

        Invalid("occurred_at number", Set, Base(Set).With("occurred_at", 1714564800), "$.occurred_at");
        Invalid("received_at without offset", Set, Base(Set).With("received_at", "2024-05-01T12:00:00"), "$.received_at");
        Invalid("received_at null", Set, Base(Set).With("received_at", null), "$.received_at");
        Invalid("user_id e-mail", Set, Base(Set).With("user_id", "ann@example.com"), "$.user_id");
        Invalid("user_id 129 chars", Set, Base(Set).With("user_id", Repeat("u", 129)), "$.user_id");
        Invalid("conversation_id empty", Set, Base(Set).With("conversation_id", ""), "$.conversation_id");
        Invalid("conversation_id slash", Set, Base(Set).With("conversation_id", "a/b"), "$.conversation_id");
        Invalid("payload array", Set, Base(Set).With("payload", new JsonArray()), "$.payload");
        Invalid("payload null", Set, Base(Set).With("payload", null), "$.payload");
        Invalid("payload of another type", Set, Base(Set).With("payload", Base(Followup)["payload"]!.DeepClone()), "$.payload.reaction");

        // ---- invalid: response.served ----
        foreach (var field in new[] { "response_id", "turn_index", "response_text", "model_version" })
        {
            Invalid($"served missing {field}", Served, Base(Served).Without("payload." + field), "$.payload." + field);
        }

        Invalid("served without prompt_text and prompt_hash", Served, Base(Served).Without("payload.prompt_text"), "$.payload.prompt_text");
        Invalid("served unknown payload field", Served, Base(Served).With("payload.prompt", "x"), "$.payload.prompt");
        Invalid("served response_id with space", Served, Base(Served).With("payload.response_id", "resp 1"), "$.payload.response_id");
        Invalid("served turn_index -1", Served, Base(Served).With("payload.turn_index", -1), "$.payload.turn_index");
        Invalid("served turn_index 1.5", Served, Base(Served).With("payload.turn_index", 1.5), "$.payload.turn_index");
        Invalid("served turn_index 1e-30", Served, Base(Served).With("payload.turn_index", Raw("1e-30")), "$.payload.turn_index");
        Invalid("served turn_index string", Served, Base(Served).With("payload.turn_index", "1"), "$.payload.turn_index");
        Invalid("served turn_index 2^31", Served, Base(Served).With("payload.turn_index", 2147483648L), "$.payload.turn_index");
        Invalid("served turn_index 1e30", Served, Base(Served).With("payload.turn_index", Raw("1e30")), "$.payload.turn_index");
        Invalid("served prompt_text null", Served, Base(Served).With("payload.prompt_text", null), "$.payload.prompt_text");
        Invalid("served prompt_text too long", Served, Base(Served).With("payload.prompt_text", Repeat("p", 32769)), "$.payload.prompt_text");
        Invalid("served prompt_hash uppercase", Served, Base(Served).With("payload.prompt_hash", "0123456789ABCDEF"), "$.payload.prompt_hash");
        Invalid("served prompt_hash 15 digits", Served, Base(Served).With("payload.prompt_hash", "0123456789abcde"), "$.payload.prompt_hash");
        Invalid("served prompt_hash 129 digits", Served, Base(Served).With("payload.prompt_hash", Repeat("a", 129)), "$.payload.prompt_hash");
        Invalid("served prompt_hash not hex", Served, Base(Served).With("payload.prompt_hash", "0123456789abcdeg"), "$.payload.prompt_hash");
        Invalid("served response_text 32769 emoji", Served, Base(Served).With("payload.response_text", Repeat("\U0001F600", 32769)), "$.payload.response_text");
        Invalid("served response_text number", Served, Base(Served).With("payload.response_text", 4), "$.payload.response_text");
        Invalid("served model_version empty", Served, Base(Served).With("payload.model_version", ""), "$.payload.model_version");
        Invalid("served model_version with space", Served, Base(Served).With("payload.model_version", "model v2"), "$.payload.model_version");
        Invalid("served model_version 129 chars", Served, Base(Served).With("payload.model_version", Repeat("m", 129)), "$.payload.model_version");
        Invalid("served regenerated_from empty", Served, Base(Served).With("payload.regenerated_from", ""), "$.payload.regenerated_from");
        Invalid("served regenerated_from with space", Served, Base(Served).With("payload.regenerated_from", "resp 0"), "$.payload.regenerated_from");
        Invalid("served regenerated_from number", Served, Base(Served).With("payload.regenerated_from", 3), "$.payload.regenerated_from");
        Invalid("served candidate_index -1", Served, Base(Served).With("payload.candidate_index", -1), "$.payload.candidate_index");
        Invalid("served candidate_index 0.5", Served, Base(Served).With("payload.candidate_index", 0.5), "$.payload.candidate_index");
        Invalid("served latency_ms negative", Served, Base(Served).With("payload.latency_ms", -0.5), "$.payload.latency_ms");
        Invalid("served latency_ms string", Served, Base(Served).With("payload.latency_ms", "812"), "$.payload.latency_ms");
        Invalid("served latency_ms 1e400", Served, Base(Served).With("payload.latency_ms", Raw("1e400")), "$.payload.latency_ms");
        Invalid("served latency_ms null", Served, Base(Served).With("payload.latency_ms", null), "$.payload.latency_ms");
        Invalid("served surface uppercase", Served, Base(Served).With("payload.surface", "Web"), "$.payload.surface");
        Invalid("served surface empty", Served, Base(Served).With("payload.surface", ""), "$.payload.surface");
        Invalid("served surface 33 chars", Served, Base(Served).With("payload.surface", Repeat("s", 33)), "$.payload.surface");
        Invalid("served locale with underscore", Served, Base(Served).With("payload.locale", "en_US"), "$.payload.locale");
        Invalid("served locale one letter", Served, Base(Served).With("payload.locale", "e"), "$.payload.locale");
        Invalid("served locale trailing hyphen", Served, Base(Served).With("payload.locale", "en-"), "$.payload.locale");
        Invalid("served locale subtag of 9", Served, Base(Served).With("payload.locale", "en-abcdefghi"), "$.payload.locale");
        Invalid("served locale 36 chars", Served, Base(Served).With("payload.locale", "en" + Repeat("-abcd", 6) + "-abc"), "$.payload.locale");

        // ---- invalid: reaction.set / reaction.cleared ----
        foreach (var type in new[] { Set, Cleared })
        {
            Invalid($"{type} missing response_id", type, Base(type).Without("payload.response_id"), "$.payload.response_id");
            Invalid($"{type} missing reaction", type, Base(type).Without("payload.reaction"), "$.payload.reaction");
            Invalid($"{type} reaction unknown", type, Base(type).With("payload.reaction", "meh"), "$.payload.reaction");
            Invalid($"{type} reaction capitalised", type, Base(type).With("payload.reaction", "Love"), "$.payload.reaction");
            Invalid($"{type} reaction number", type, Base(type).With("payload.reaction", 0), "$.payload.reaction");
            Invalid($"{type} shown_to_reaction_ms -1", type, Base(type).With("payload.shown_to_reaction_ms", -1), "$.payload.shown_to_reaction_ms");
            Invalid($"{type} shown_to_reaction_ms 2^53", type, Base(type).With("payload.shown_to_reaction_ms", 9007199254740992L), "$.payload.shown_to_reaction_ms");
            Invalid($"{type} shown_to_reaction_ms 1.5", type, Base(type).With("payload.shown_to_reaction_ms", 1.5), "$.payload.shown_to_reaction_ms");
            Invalid($"{type} unknown payload field", type, Base(type).With("payload.emoji", "x"), "$.payload.emoji");
        }

        // ---- invalid: followup.sent ----
        Invalid("followup missing response_id", Followup, Base(Followup).Without("payload.response_id"), "$.payload.response_id");
        Invalid("followup response_id 129 chars", Followup, Base(Followup).With("payload.response_id", Repeat("r", 129)), "$.payload.response_id");
        Invalid("followup missing text", Followup, Base(Followup).Without("payload.text"), "$.payload.text");
        Invalid("followup empty text", Followup, Base(Followup).With("payload.text", ""), "$.payload.text");
        Invalid("followup text too long", Followup, Base(Followup).With("payload.text", Repeat("x", 32769)), "$.payload.text");
        Invalid("followup text object", Followup, Base(Followup).With("payload.text", new JsonObject()), "$.payload.text");
        Invalid("followup shown_to_followup_ms -1", Followup, Base(Followup).With("payload.shown_to_followup_ms", -1), "$.payload.shown_to_followup_ms");
        Invalid("followup shown_to_followup_ms string", Followup, Base(Followup).With("payload.shown_to_followup_ms", "5"), "$.payload.shown_to_followup_ms");
        Invalid("followup unknown payload field", Followup, Base(Followup).With("payload.lang", "en"), "$.payload.lang");

        // ---- invalid: response.action ----
        Invalid("action missing response_id", Action, Base(Action).Without("payload.response_id"), "$.payload.response_id");
        Invalid("action response_id null", Action, Base(Action).With("payload.response_id", null), "$.payload.response_id");
        Invalid("action missing action", Action, Base(Action).Without("payload.action"), "$.payload.action");
        Invalid("action unknown", Action, Base(Action).With("payload.action", "delete"), "$.payload.action");
        Invalid("action edit without edited_text", Action, Base(Action).With("payload.action", "edit"), "$.payload.edited_text");
        Invalid("action copy with edited_text", Action, Base(Action).With("payload.edited_text", "x"), "$.payload.edited_text");
        Invalid("action unknown with edited_text", Action, Base(Action).With("payload.action", "rewrite").With("payload.edited_text", "x"), "$.payload.action");
        Invalid("action missing with edited_text", Action, Base(Action).Without("payload.action").With("payload.edited_text", "x"), "$.payload.edited_text");
        Invalid("action edit with empty edited_text", Action, Full(Action).With("payload.edited_text", ""), "$.payload.edited_text");
        Invalid("action edit with null edited_text", Action, Full(Action).With("payload.edited_text", null), "$.payload.edited_text");
        Invalid("action edit with edited_text too long", Action, Full(Action).With("payload.edited_text", Repeat("e", 32769)), "$.payload.edited_text");
        Invalid("action shown_to_action_ms -1", Action, Base(Action).With("payload.shown_to_action_ms", -1), "$.payload.shown_to_action_ms");
        Invalid("action shown_to_action_ms null", Action, Base(Action).With("payload.shown_to_action_ms", null), "$.payload.shown_to_action_ms");
        Invalid("action unknown payload field", Action, Base(Action).With("payload.text", "x"), "$.payload.text");

        return list;
    }
}
