using FeedbackStream.Models;

namespace FeedbackStream.Training.Tests;

/// <summary>Services depend on libraries, never on each other: the model service shares the HTTP edge through Auth, not the gateway.</summary>
public sealed class ModelsReferencesTests
{
    [Fact]
    public void ModelsAssembly_ReferencesNoOtherService()
    {
        var referenced = typeof(ModelEndpoints).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.Contains("FeedbackStream.Auth", referenced);
        Assert.DoesNotContain("FeedbackStream.Gateway", referenced);
        Assert.DoesNotContain("FeedbackStream.Pipeline", referenced);
    }
}
