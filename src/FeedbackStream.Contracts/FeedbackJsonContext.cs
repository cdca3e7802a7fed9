using System.Text.Json;
using System.Text.Json.Serialization;

namespace FeedbackStream.Contracts;

/// <summary>Source-generated metadata for the v1 records. Use <see cref="FeedbackJson.Options"/> rather than this context.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowDuplicateProperties = false,
    NumberHandling = JsonNumberHandling.Strict,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(FeedbackEvent))]
[JsonSerializable(typeof(ResponseServed))]
[JsonSerializable(typeof(ReactionSet))]
[JsonSerializable(typeof(ReactionCleared))]
[JsonSerializable(typeof(FollowupSent))]
[JsonSerializable(typeof(ResponseAction))]
internal sealed partial class FeedbackJsonContext : JsonSerializerContext;
