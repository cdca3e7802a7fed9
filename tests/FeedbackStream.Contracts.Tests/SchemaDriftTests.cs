using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Json.Schema;

namespace FeedbackStream.Contracts.Tests;

/// <summary>The C# records, enums and constants must say what the schema files say.</summary>
public sealed class SchemaDriftTests
{
    private static readonly NullabilityInfoContext Nullability = new();

    public static TheoryData<string> RecordSchemas => ["envelope", .. SchemaSet.PayloadSchemas];

    [Theory]
    [MemberData(nameof(RecordSchemas))]
    public void Serialization_PropertyNames_EqualSchemaProperties(string schemaName)
    {
        using var document = JsonDocument.Parse(FeedbackJson.Serialize(FullEvent(schemaName)));
        var json = schemaName == "envelope" ? document.RootElement : document.RootElement.GetProperty("payload");
        var written = json.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

        AssertSameSet(SchemaSet.Properties(schemaName), written, $"{schemaName}: serialized property names");
    }

    public static TheoryData<string> PayloadSchemas => [.. SchemaSet.PayloadSchemas];

    /// <summary>The serializer's own metadata, so that optional (null, omitted) properties count too.</summary>
    [Theory]
    [MemberData(nameof(PayloadSchemas))]
    public void SerializerMetadata_PropertyNames_EqualSchemaProperties(string schemaName)
    {
        // [JsonIgnore] properties stay in the metadata without a getter.
        var names = FeedbackJson.Options.GetTypeInfo(RecordType(schemaName)).Properties
            .Where(p => p.Get is not null)
            .Select(p => p.Name)
            .ToHashSet(StringComparer.Ordinal);

        AssertSameSet(SchemaSet.Properties(schemaName), names, $"{RecordType(schemaName).Name}: serializer properties");
    }

    [Theory]
    [MemberData(nameof(RecordSchemas))]
    public void Record_ConstructorParameters_EqualSchemaProperties(string schemaName)
    {
        var names = PrimaryConstructor(RecordType(schemaName)).GetParameters()
            .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!))
            .ToHashSet(StringComparer.Ordinal);

        AssertSameSet(SchemaSet.Properties(schemaName), names, $"{RecordType(schemaName).Name}: constructor parameters");
    }

    /// <summary>Required in C#: a constructor parameter without a default value and with a non-nullable type.</summary>
    [Theory]
    [MemberData(nameof(RecordSchemas))]
    public void Record_RequiredParameters_EqualSchemaRequired(string schemaName)
    {
        var required = PrimaryConstructor(RecordType(schemaName)).GetParameters()
            .Where(p => !p.HasDefaultValue && Nullability.Create(p).WriteState == NullabilityState.NotNull)
            .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!))
            .ToHashSet(StringComparer.Ordinal);

        AssertSameSet(SchemaSet.Required(schemaName), required, $"{RecordType(schemaName).Name}: required parameters");
    }

    [Fact]
    public void Reaction_WireNames_EqualSchemaEnum()
    {
        var written = Enum.GetValues<Reaction>()
            .Select(r => PayloadField(new ReactionSet("r", r), "reaction"))
            .ToList();

        AssertSameSet(SchemaSet.Enum(SchemaSet.CommonDefinition("reaction")).ToHashSet(), written.ToHashSet(), "reaction values");
        Assert.Equal(written, WireNames.Reactions);
    }

    [Fact]
    public void ActionKind_WireNames_EqualSchemaEnum()
    {
        var written = Enum.GetValues<ActionKind>()
            .Select(a => PayloadField(new ResponseAction("r", a, a == ActionKind.Edit ? "x" : null), "action"))
            .ToList();

        AssertSameSet(SchemaSet.Enum(SchemaSet.CommonDefinition("action")).ToHashSet(), written.ToHashSet(), "action values");
        Assert.Equal(written, WireNames.Actions);
    }

    [Fact]
    public void EventTypes_EqualEnvelopeEnum_EventSchemaBranches_AndPayloadRecords()
    {
        var envelopeEnum = SchemaSet.Enum(SchemaSet.Document("envelope").GetProperty("properties").GetProperty("type"));
        Assert.Equal(envelopeEnum, EventTypes.All);

        var branches = SchemaSet.Document("event").GetProperty("allOf").EnumerateArray()
            .Select(b => (
                Type: b.GetProperty("if").GetProperty("properties").GetProperty("type").GetProperty("const").GetString(),
                Ref: b.GetProperty("then").GetProperty("properties").GetProperty("payload").GetProperty("$ref").GetString()))
            .ToList();
        Assert.Equal(EventTypes.All, branches.Select(b => b.Type));
        Assert.All(branches, b => Assert.Equal(b.Type + ".schema.json", b.Ref));
        Assert.All(EventTypes.All, t => Assert.True(File.Exists(SchemaSet.FilePath(t)), $"No schema file for {t}."));

        // Every concrete payload record maps to exactly one type, and every type has a record.
        var payloadTypes = typeof(EventPayload).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(EventPayload)) && !t.IsAbstract)
            .ToDictionary(t => ((EventPayload)RuntimeHelpers.GetUninitializedObject(t)).EventType, t => t);
        Assert.Equal(EventTypes.All.Order(StringComparer.Ordinal), payloadTypes.Keys.Order(StringComparer.Ordinal));
        Assert.All(EventTypes.All, t => Assert.Equal(RecordType(t), payloadTypes[t]));
        Assert.All(EventTypes.All, t => Assert.True(EventTypes.IsKnown(t)));
    }

    [Fact]
    public void SchemaVersion_EqualsEnvelopeConst()
    {
        var version = SchemaSet.Document("envelope").GetProperty("properties").GetProperty("schema_version").GetProperty("const").GetInt32();
        Assert.Equal(FeedbackEvent.CurrentSchemaVersion, version);
    }

    [Fact]
    public void SchemaLimits_EqualSchemaNumbers()
    {
        static JsonElement Prop(string schema, string name) => SchemaSet.Document(schema).GetProperty("properties").GetProperty(name);

        var identifier = SchemaSet.CommonDefinition("identifier");
        Assert.Equal(1, identifier.GetProperty("minLength").GetInt32());
        Assert.Equal(SchemaLimits.MaxIdentifierLength, identifier.GetProperty("maxLength").GetInt32());
        Assert.Equal(SchemaLimits.MaxTextLength, SchemaSet.CommonDefinition("free_text").GetProperty("maxLength").GetInt32());
        Assert.Equal(SchemaLimits.MaxMilliseconds, SchemaSet.CommonDefinition("elapsed_ms").GetProperty("maximum").GetInt64());
        Assert.Equal(SchemaLimits.MaxAppIdLength, Prop("envelope", "app_id").GetProperty("maxLength").GetInt32());
        Assert.Equal(SchemaLimits.MaxModelVersionLength, Prop(EventTypes.ResponseServed, "model_version").GetProperty("maxLength").GetInt32());
        Assert.Equal(SchemaLimits.MinPromptHashLength, Prop(EventTypes.ResponseServed, "prompt_hash").GetProperty("minLength").GetInt32());
        Assert.Equal(SchemaLimits.MaxPromptHashLength, Prop(EventTypes.ResponseServed, "prompt_hash").GetProperty("maxLength").GetInt32());
        Assert.Equal(SchemaLimits.MaxSurfaceLength, Prop(EventTypes.ResponseServed, "surface").GetProperty("maxLength").GetInt32());
        Assert.Equal(SchemaLimits.MinLocaleLength, Prop(EventTypes.ResponseServed, "locale").GetProperty("minLength").GetInt32());
        Assert.Equal(SchemaLimits.MaxLocaleLength, Prop(EventTypes.ResponseServed, "locale").GetProperty("maxLength").GetInt32());
        Assert.Equal(SchemaLimits.MaxIndex, Prop(EventTypes.ResponseServed, "turn_index").GetProperty("maximum").GetInt64());
        Assert.Equal(SchemaLimits.MaxIndex, Prop(EventTypes.ResponseServed, "candidate_index").GetProperty("maximum").GetInt64());
        Assert.Equal(SchemaLimits.MaxMilliseconds, Prop(EventTypes.ResponseServed, "latency_ms").GetProperty("maximum").GetInt64());
        Assert.Equal(SchemaLimits.MaxTextLength, new EventValidator().MaxTextLength);
    }

    public static TheoryData<string> SchemaFiles => [.. SchemaSet.AllSchemas];

    [Theory]
    [MemberData(nameof(SchemaFiles))]
    public void SchemaFile_IsValidDraft202012_WithStableIdAndClosedObjects(string name)
    {
        var document = SchemaSet.Document(name);
        var meta = MetaSchemas.Draft202012.Evaluate(document, SchemaSet.Evaluation);
        Assert.True(meta.IsValid, $"{name} does not validate against the draft 2020-12 meta-schema.");
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", document.GetProperty("$schema").GetString());
        Assert.Equal(SchemaSet.IdBase + name + ".schema.json", document.GetProperty("$id").GetString());

        if (document.TryGetProperty("properties", out _))
        {
            Assert.False(document.GetProperty("additionalProperties").GetBoolean(), $"{name} must reject unknown fields.");
        }
    }

    private static FeedbackEvent FullEvent(string schemaName) => schemaName switch
    {
        "envelope" or EventTypes.ResponseServed => Event(new ResponseServed(
            "resp-1", 3, "4", "policy-7", "2+2?", "0123456789abcdef", "resp-0", 1, 812.5, "web", "en-GB")),
        EventTypes.ReactionSet => Event(new ReactionSet("resp-1", Reaction.Love, 5300)),
        EventTypes.ReactionCleared => Event(new ReactionCleared("resp-1", Reaction.Love, 7100)),
        EventTypes.FollowupSent => Event(new FollowupSent("resp-1", "thanks", 12000)),
        EventTypes.ResponseAction => Event(new ResponseAction("resp-1", ActionKind.Edit, "4 (four)", 900)),
        _ => throw new ArgumentOutOfRangeException(nameof(schemaName), schemaName, null),
    };

    private static FeedbackEvent Event(EventPayload payload)
    {
        var occurredAt = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
        return FeedbackEvent.Create("evt-1", "chat.web", occurredAt, "u-1", "c-1", payload) with { ReceivedAt = occurredAt.AddSeconds(1) };
    }

    private static string PayloadField(EventPayload payload, string field)
    {
        using var document = JsonDocument.Parse(FeedbackJson.Serialize(Event(payload)));
        return document.RootElement.GetProperty("payload").GetProperty(field).GetString()!;
    }

    private static Type RecordType(string schemaName) => schemaName switch
    {
        "envelope" => typeof(FeedbackEvent),
        EventTypes.ResponseServed => typeof(ResponseServed),
        EventTypes.ReactionSet => typeof(ReactionSet),
        EventTypes.ReactionCleared => typeof(ReactionCleared),
        EventTypes.FollowupSent => typeof(FollowupSent),
        EventTypes.ResponseAction => typeof(ResponseAction),
        _ => throw new ArgumentOutOfRangeException(nameof(schemaName), schemaName, null),
    };

    /// <summary>The positional record's constructor: the public one that is not the copy constructor.</summary>
    private static ConstructorInfo PrimaryConstructor(Type type) =>
        type.GetConstructors().Single(c => c.GetParameters() is not [{ } p] || p.ParameterType != type);

    private static void AssertSameSet(IReadOnlySet<string> schema, IReadOnlySet<string> code, string what)
    {
        var onlySchema = schema.Except(code).Order(StringComparer.Ordinal).ToList();
        var onlyCode = code.Except(schema).Order(StringComparer.Ordinal).ToList();
        Assert.True(
            onlySchema.Count == 0 && onlyCode.Count == 0,
            $"{what} differ from the schema. Only in schema: [{string.Join(", ", onlySchema)}]; only in code: [{string.Join(", ", onlyCode)}].");
    }
}
