using System.Globalization;
using System.Text.Json;

namespace FeedbackStream.Replay;

/// <summary>
/// Reads OpenAssistant exports, one JSON object per line, in either of their two shapes (they may even be mixed):
/// <list type="bullet">
/// <item>flat: one message per line (<c>message_id</c>, <c>parent_id</c>, ...);</item>
/// <item>nested: one tree per line, either a root message whose <c>replies</c> hold its child messages recursively, or a
/// tree object (<c>message_tree_id</c>, <c>prompt</c>) whose <c>prompt</c> is that root message. A child's missing
/// <c>parent_id</c> or <c>message_tree_id</c> is taken from the nesting.</item>
/// </list>
/// Blank lines are skipped; a line that is not a message or tree, or a field of the wrong shape, fails with the line
/// number, the message id and the field. <c>emojis</c> may be <c>{"name": [...], "count": [...]}</c> or a plain object
/// of counts. Records repeated in the file are kept here; <see cref="OasstCorpus"/> counts and reports them.
/// </summary>
public static class OasstReader
{
    public static IReadOnlyList<OasstMessage> ReadFile(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader);
    }

    public static IReadOnlyList<OasstMessage> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var messages = new List<OasstMessage>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException("expected a JSON object");
                }

                if (root.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.Object)
                {
                    AddTree(prompt, parentId: null, treeId: OptionalString(root, "message_tree_id", null), messages);
                }
                else
                {
                    AddTree(root, parentId: null, treeId: null, messages);
                }
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"line {lineNumber}: not an OASST message or tree: {e.Message}", e);
            }
        }

        return messages;
    }

    private static void AddTree(JsonElement element, string? parentId, string? treeId, List<OasstMessage> messages)
    {
        var message = Parse(element, parentId, treeId);
        messages.Add(message);
        if (element.TryGetProperty("replies", out var replies) && replies.ValueKind != JsonValueKind.Null)
        {
            if (replies.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"message {message.MessageId}: replies: expected an array of messages, got {replies.ValueKind.ToString().ToLowerInvariant()}");
            }

            foreach (var reply in replies.EnumerateArray())
            {
                if (reply.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"message {message.MessageId}: replies: expected message objects, got {reply.ValueKind.ToString().ToLowerInvariant()}");
                }

                AddTree(reply, message.MessageId, message.MessageTreeId, messages);
            }
        }
    }

    private static OasstMessage Parse(JsonElement e, string? parentId, string? treeId)
    {
        var id = OptionalString(e, "message_id", null) ?? throw new InvalidDataException("message_id is missing");
        var role = OptionalString(e, "role", id) switch
        {
            "prompter" => OasstRole.Prompter,
            "assistant" => OasstRole.Assistant,
            var other => throw new InvalidDataException($"message {id}: role: unknown role '{other}' (prompter or assistant)"),
        };
        var created = OptionalString(e, "created_date", id) ?? throw new InvalidDataException($"message {id}: created_date is missing");
        if (!DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var createdDate))
        {
            throw new InvalidDataException($"message {id}: created_date: '{created}' is not a date and time");
        }

        int? rank = null;
        if (e.TryGetProperty("rank", out var rankElement) && rankElement.ValueKind != JsonValueKind.Null)
        {
            rank = rankElement.ValueKind == JsonValueKind.Number && rankElement.TryGetInt32(out var r) && r >= 0
                ? r
                : throw new InvalidDataException($"message {id}: rank: expected a non-negative integer or null, got {rankElement.GetRawText()}");
        }

        var deleted = false;
        if (e.TryGetProperty("deleted", out var deletedElement))
        {
            deleted = deletedElement.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False or JsonValueKind.Null => false,
                _ => throw new InvalidDataException($"message {id}: deleted: expected true, false or null, got {deletedElement.GetRawText()}"),
            };
        }

        return new OasstMessage(
            id,
            OptionalString(e, "parent_id", id) ?? parentId,
            OptionalString(e, "user_id", id) ?? throw new InvalidDataException($"message {id}: user_id is missing"),
            createdDate,
            OptionalString(e, "text", id) ?? "",
            role,
            rank,
            Emojis(e, id),
            OptionalString(e, "message_tree_id", id) ?? treeId ?? id,
            OptionalString(e, "lang", id),
            OptionalString(e, "model_name", id),
            deleted);
    }

    /// <summary>
    /// <c>emojis</c> in each shape OASST exports use: <c>{"name": [...], "count": [...]}</c> (oasst1) or a plain object of
    /// counts (<c>{"+1": 4}</c>); absent or null is none. Any other shape fails, naming the field.
    /// </summary>
    private static Dictionary<string, int> Emojis(JsonElement e, string id)
    {
        var emojis = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!e.TryGetProperty("emojis", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return emojis;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"message {id}: emojis: expected an object ({{\"name\": [...], \"count\": [...]}} or {{\"+1\": 4}}), got {element.ValueKind.ToString().ToLowerInvariant()}");
        }

        var hasNames = element.TryGetProperty("name", out var names);
        var hasCounts = element.TryGetProperty("count", out var counts);
        if (hasNames || hasCounts)
        {
            if (names.ValueKind != JsonValueKind.Array || counts.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"message {id}: emojis: \"name\" and \"count\" must both be arrays");
            }

            if (names.GetArrayLength() != counts.GetArrayLength())
            {
                throw new InvalidDataException($"message {id}: emojis: {names.GetArrayLength()} names but {counts.GetArrayLength()} counts");
            }

            var index = 0;
            foreach (var (name, count) in names.EnumerateArray().Zip(counts.EnumerateArray()))
            {
                var emoji = name.ValueKind == JsonValueKind.String && name.GetString() is { Length: > 0 } n
                    ? n
                    : throw new InvalidDataException($"message {id}: emojis.name[{index}]: expected a non-empty string, got {name.GetRawText()}");
                emojis[emoji] = emojis.GetValueOrDefault(emoji) + Count(count, $"emojis.count[{index}]", id);
                index++;
            }

            return emojis;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Length == 0)
            {
                throw new InvalidDataException($"message {id}: emojis: an emoji name is empty");
            }

            emojis[property.Name] = emojis.GetValueOrDefault(property.Name) + Count(property.Value, $"emojis[\"{property.Name}\"]", id);
        }

        return emojis;
    }

    private static int Count(JsonElement count, string field, string id) =>
        count.ValueKind == JsonValueKind.Number && count.TryGetInt32(out var value) && value >= 0
            ? value
            : throw new InvalidDataException($"message {id}: {field}: expected a non-negative integer, got {count.GetRawText()}");

    /// <summary>A string field: absent or null gives null; any other kind fails, naming the field.</summary>
    private static string? OptionalString(JsonElement e, string name, string? id)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new InvalidDataException($"{(id is null ? "" : $"message {id}: ")}{name}: expected a string, got {value.GetRawText()}");
    }

}
