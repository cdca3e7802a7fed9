namespace FeedbackStream.Client;

/// <summary>Thrown by the enqueue methods when the buffer is full and <see cref="FeedbackStreamClientOptions.BufferFullMode"/> is <see cref="BufferFullMode.Throw"/> (or <see cref="BufferFullMode.Wait"/> for the synchronous methods).</summary>
public sealed class FeedbackBufferFullException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public FeedbackBufferFullException()
        : base("The feedback buffer is full.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public FeedbackBufferFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public FeedbackBufferFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
