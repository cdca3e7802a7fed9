using System.CommandLine;
using FeedbackStream.Followups.Lexicon;
using FeedbackStream.Hosting;
using FeedbackStream.Pipeline.Labeling;

namespace FeedbackStream.Evaluation;

/// <summary><c>feedbackstream eval ...</c>: evaluation commands that print measured quality figures.</summary>
internal static class EvalCommands
{
    public static Command Create()
    {
        var eval = new Command("eval", "Evaluation commands that print measured quality figures.");
        eval.Subcommands.Add(EvalMiningCommand.Create(() => new FollowupScorer(LexiconClassifier.Default)));
        eval.Subcommands.Add(FollowupCommands.CreateEval());
        eval.Subcommands.Add(OasstCommands.CreateEval());
        eval.Subcommands.Add(PloveCommands.CreateEval());
        eval.Subcommands.Add(EvalRedactionCommand.Create());
        return eval;
    }
}
