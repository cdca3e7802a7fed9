namespace FeedbackStream.Followups.Eurtad;

/// <summary>
/// Finds the EURTAD folder without copying data into the repository: <c>FEEDBACKSTREAM_DATA_DIR</c> (the shared data
/// folder holding <c>eurtad/</c>, or the EURTAD folder itself) wins; otherwise <c>../shared/data/eurtad</c> relative to the
/// repository root, found by walking up from the working directory and from the application folder to <c>FeedbackStream.sln</c>.
/// </summary>
public static class FollowupDataLocator
{
    public const string DataDirVariable = "FEEDBACKSTREAM_DATA_DIR";

    /// <summary>The EURTAD folder to use (it may not exist; check with <see cref="EurtadCorpus.IsPresent"/>), or null when no candidate is known.</summary>
    public static string? FindEurtad()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(DataDirVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            var nested = Path.Combine(fromEnvironment, "eurtad");
            return EurtadCorpus.IsPresent(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : Path.GetFullPath(nested);
        }

        var root = FindRepositoryRoot(Environment.CurrentDirectory) ?? FindRepositoryRoot(AppContext.BaseDirectory);
        return root is null ? null : Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "eurtad"));
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> holding <c>FeedbackStream.sln</c>.</summary>
    public static string? FindRepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FeedbackStream.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
