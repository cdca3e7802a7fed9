using System.Text.Json;
using System.Text.Json.Nodes;

namespace FeedbackStream.Contracts.Tests;

/// <summary>JsonSchema.Net on event.schema.json and <see cref="EventValidator"/> must agree on every sample.</summary>
public sealed class SchemaAgreementTests
{
    private static readonly EventValidator Validator = new();

    public static TheoryData<string> CorpusNames => [.. Samples.CorpusNames];

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void Validate_AgreesWithJsonSchema_AndNamesTheField(string name)
    {
        var sample = Samples.Get(name);
        using var document = JsonDocument.Parse(sample.Text);

        var schema = SchemaSet.Event.Evaluate(document.RootElement, SchemaSet.Evaluation);
        var result = Validator.Validate(document.RootElement);
        var schemaPaths = SchemaSet.ErrorPaths(schema);
        var validatorErrors = string.Join("; ", result.Errors);

        Assert.True(
            schema.IsValid == sample.IsValid,
            $"JsonSchema.Net says valid={schema.IsValid}, the sample expects valid={sample.IsValid}. Schema errors at: {string.Join(", ", schemaPaths)}");
        Assert.True(
            result.IsValid == sample.IsValid,
            $"EventValidator says valid={result.IsValid}, the sample expects valid={sample.IsValid}. Errors: {validatorErrors}");

        if (sample.ExpectedPath is { } expected)
        {
            Assert.True(
                result.Errors.Any(e => e.Path == expected),
                $"EventValidator errors do not name {expected}: {validatorErrors}");
            Assert.All(result.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));

            // JsonSchema.Net reports "required" and "anyOf" at the parent object, so a prefix counts.
            Assert.True(
                schemaPaths.Any(p => expected == p || expected.StartsWith(p + ".", StringComparison.Ordinal)),
                $"No schema error at or above {expected}: {string.Join(", ", schemaPaths)}");
        }
        else
        {
            Assert.Empty(result.Errors);
            Assert.NotNull(result.Event);
            Assert.Equal(sample.Type, result.Event.Type);
        }
    }

    [Fact]
    public void Corpus_IsLargeAndNamesAreUnique()
    {
        Assert.True(Samples.Corpus.Count >= 40, $"Only {Samples.Corpus.Count} samples.");
        Assert.Equal(Samples.Corpus.Count, Samples.Corpus.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(Samples.Corpus, s => s.IsValid);
        Assert.Contains(Samples.Corpus, s => !s.IsValid);
    }

    [Fact]
    public void Corpus_HasAViolationForEverySchemaField()
    {
        var missing = new List<string>();
        foreach (var field in SchemaSet.Properties("envelope"))
        {
            if (!Samples.Corpus.Any(s => s.ExpectedPath == "$." + field))
            {
                missing.Add("envelope." + field);
            }
        }

        foreach (var type in SchemaSet.PayloadSchemas)
        {
            foreach (var field in SchemaSet.Properties(type))
            {
                if (!Samples.Corpus.Any(s => s.Type == type && s.ExpectedPath == "$.payload." + field))
                {
                    missing.Add(type + "." + field);
                }
            }
        }

        Assert.True(missing.Count == 0, "No invalid sample for: " + string.Join(", ", missing));
    }

    public static TheoryData<string, string> FuzzedFields => new()
    {
        { Samples.Set, "event_id" },
        { Samples.Set, "app_id" },
        { Samples.Set, "user_id" },
        { Samples.Set, "occurred_at" },
        { Samples.Served, "payload.prompt_hash" },
        { Samples.Served, "payload.model_version" },
        { Samples.Served, "payload.surface" },
        { Samples.Served, "payload.locale" },
        { Samples.Served, "payload.regenerated_from" },
        { Samples.Action, "payload.action" },
    };

    /// <summary>Random strings built from characters that matter to each field's pattern; both validators must agree on each.</summary>
    [Theory]
    [MemberData(nameof(FuzzedFields))]
    public void Validate_AgreesWithJsonSchema_OnRandomValues(string type, string field)
    {
        // string.GetHashCode is randomized per process: derive a stable seed so that a failure can be replayed.
        var random = new Random(field.Aggregate(20240501, (hash, c) => unchecked((hash * 31) + c)));
        var disagreements = new List<string>();
        var validCount = 0;
        foreach (var value in RandomValues(field, random).Take(250))
        {
            var json = Samples.ToText(Samples.Base(type).With(field, JsonValue.Create(value)));
            using var document = JsonDocument.Parse(json);
            var schemaValid = SchemaSet.Event.Evaluate(document.RootElement, SchemaSet.Evaluation).IsValid;
            var validatorValid = Validator.Validate(document.RootElement).IsValid;
            validCount += schemaValid ? 1 : 0;
            if (schemaValid != validatorValid)
            {
                disagreements.Add($"{JsonSerializer.Serialize(value)}: schema {schemaValid}, validator {validatorValid}");
            }
        }

        Assert.True(disagreements.Count == 0, string.Join(Environment.NewLine, disagreements));
        Assert.InRange(validCount, 5, 245); // the generator must produce both valid and invalid values
    }

    private static IEnumerable<string> RandomValues(string field, Random random)
    {
        string Pick(string alphabet, int min, int max) =>
            new([.. Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => alphabet[random.Next(alphabet.Length)])]);

        if (field == "occurred_at")
        {
            // Mutate a valid timestamp: swap a character, drop one or insert one.
            const string Seed = "2024-02-29T23:59:59.123456789+14:00";
            const string Alphabet = "0123456789:-+.TtZz 9";
            while (true)
            {
                var chars = new List<char>(Seed);
                var edits = random.Next(1, 3);
                for (var i = 0; i < edits; i++)
                {
                    var at = random.Next(chars.Count);
                    switch (random.Next(4))
                    {
                        case 0: chars.RemoveAt(at); break;
                        case 1: chars.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                        default: chars[at] = Alphabet[random.Next(Alphabet.Length)]; break;
                    }
                }

                var text = new string([.. chars]);

                // Also exercise shorter forms (no fraction, Z offset).
                yield return random.Next(3) switch
                {
                    0 => text,
                    1 => text[..Math.Min(19, text.Length)] + "Z",
                    _ => text[..Math.Min(19, text.Length)] + text[Math.Min(29, text.Length)..],
                };
            }
        }

        // Characters the pattern allows, characters it does not, and the length limit.
        var (allowed, other, maxLength) = field switch
        {
            "app_id" or "payload.surface" => ("abz09._-", "A:é \n", field == "app_id" ? 64 : 32),
            "payload.prompt_hash" => ("0123456789abcdef", "ABg \n", 128),
            "payload.model_version" => ("aZ09!~/@:", " \t\u007fé\n", 128),
            "payload.locale" => ("enPTBR019-", "_ \n", 35),
            "payload.action" => ("editcopyshare", " \n", 10),
            _ => ("aZ09._:-", "/@ éü\n", 128),
        };

        while (true)
        {
            if (field == "payload.action" && random.Next(3) == 0)
            {
                yield return WireNames.Actions[random.Next(WireNames.Actions.Count)];
                continue;
            }

            if (field == "payload.locale" && random.Next(2) == 0)
            {
                // Tag-shaped values around the subtag limits (primary 2..8 letters, subtags 1..8).
                var tag = Pick("abcXYZ", 1, 9);
                for (var subtags = random.Next(0, 4); subtags > 0; subtags--)
                {
                    tag += "-" + Pick("abZ09", 0, 9);
                }

                yield return tag;
                continue;
            }

            // Short values from all characters, and values of allowed characters around the length limits.
            yield return random.Next(3) switch
            {
                0 => Pick(allowed + other, 0, 20),
                1 => Pick(allowed, 0, 20),
                _ => Pick(allowed, Math.Max(0, maxLength - 3), maxLength + 2),
            };
        }
    }
}
