using FeedbackStream.Followups.Model;
using FeedbackStream.Followups.Seed;

namespace FeedbackStream.Followups.Tests;

/// <summary>One model trained on the seed set's training part (no external data), shared by a test class.</summary>
public sealed class SeedModelFixture
{
    public static readonly FollowupModelOptions Options = new() { Seed = 5 };

    public SeedModelFixture()
    {
        (Train, HeldOut) = FollowupSeedSet.Split(FollowupSeedSet.Load());
        Model = FollowupModel.Train(Train, Options);
    }

    public IReadOnlyList<LabelledFollowup> Train { get; }

    public IReadOnlyList<LabelledFollowup> HeldOut { get; }

    public FollowupModel Model { get; }
}
