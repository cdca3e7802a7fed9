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
/// Blank lines are skipped; a line that is not a message or tree fails with its line number.
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
                    AddTree(prompt, parentId: null, treeId: String(root, "message_tree_id"), messages);
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
        if (element.TryGetProperty("replies", out var replies) && replies.ValueKind == JsonValueKind.Array)
        {
            foreach (var reply in replies.EnumerateArray())
            {
                AddTree(reply, message.MessageId, message.MessageTreeId, messages);
            }
        }
    }

    private static OasstMessage Parse(JsonElement e, string? parentId, string? treeId)
    {
        var id = String(e, "message_id") ?? throw new InvalidDataException("message_id is missing");
        var role = String(e, "role") switch
        {
            "prompter" => OasstRole.Prompter,
            "assistant" => OasstRole.Assistant,
            var other => throw new InvalidDataException($"message {id}: unknown role '{other}'"),
        };
        var created = String(e, "created_date") ?? throw new InvalidDataException($"message {id}: created_date is missing");
        var emojis = new Dictionary<string, int>(StringComparer.Ordinal);
        if (e.TryGetProperty("emojis", out var emojiElement) && emojiElement.ValueKind == JsonValueKind.Object
            && emojiElement.TryGetProperty("name", out var names) && names.ValueKind == JsonValueKind.Array
            && emojiElement.TryGetProperty("count", out var counts) && counts.ValueKind == JsonValueKind.Array)
        {
            var countList = counts.EnumerateArray().Select(c => c.GetInt32()).ToList();
            var index = 0;
            foreach (var name in names.EnumerateArray())
            {
                if (index < countList.Count && name.GetString() is { } emoji)
                {
                    emojis[emoji] = emojis.GetValueOrDefault(emoji) + Math.Max(0, countList[index]);
                }

                index++;
            }
        }

        int? rank = e.TryGetProperty("rank", out var rankElement) && rankElement.ValueKind == JsonValueKind.Number ? rankElement.GetInt32() : null;
        return new OasstMessage(
            id,
            String(e, "parent_id") ?? parentId,
            String(e, "user_id") ?? throw new InvalidDataException($"message {id}: user_id is missing"),
            DateTimeOffset.Parse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            String(e, "text") ?? "",
            role,
            rank,
            emojis,
            String(e, "message_tree_id") ?? treeId ?? id,
            String(e, "lang"),
            String(e, "model_name"),
            e.TryGetProperty("deleted", out var deleted) && deleted.ValueKind == JsonValueKind.True);
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
