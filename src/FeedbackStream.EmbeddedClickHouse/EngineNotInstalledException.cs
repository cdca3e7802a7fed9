namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>An embedded engine's files are not where setup installs them; the message says what to run.</summary>
public sealed class EngineNotInstalledException(string message, string path) : FileNotFoundException(message, path);
