using FeedbackStream.Mining;

namespace FeedbackStream.Storage.Labels;

/// <summary>
/// A conversation a labeller could not label and set aside (<c>labeling_set_aside</c>): where its records are in Kafka,
/// how many consecutive passes it failed alone, and the last error.
/// </summary>
public sealed record SetAsideConversation(
    ConversationKey Key, string Topic, int Partition, long FirstOffset, long LastOffset, int Attempts, string Error, DateTime SetAsideAt);
