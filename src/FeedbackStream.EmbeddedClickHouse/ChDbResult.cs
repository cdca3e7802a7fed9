namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>
/// A successful query result whose bytes stay in the engine's native buffer until disposed (no copy).
/// Read it as a stream; disposing the stream or the result frees the native buffer.
/// </summary>
public sealed unsafe class ChDbResult : IDisposable
{
    private nint _handle;

    internal ChDbResult(nint handle)
    {
        _handle = handle;
        Length = (long)ChDbNative.chdb_result_length(handle);
        Elapsed = TimeSpan.FromSeconds(ChDbNative.chdb_result_elapsed(handle));
        RowsRead = ChDbNative.chdb_result_rows_read(handle);
        BytesRead = ChDbNative.chdb_result_bytes_read(handle);
        RowsWritten = ChDbNative.chdb_result_rows_written(handle);
        BytesWritten = ChDbNative.chdb_result_bytes_written(handle);
    }

    public long Length { get; }

    public TimeSpan Elapsed { get; }

    public ulong RowsRead { get; }

    public ulong BytesRead { get; }

    public ulong RowsWritten { get; }

    public ulong BytesWritten { get; }

    /// <summary>A read-only stream over the result bytes; disposing it disposes this result.</summary>
    public Stream OpenStream()
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        var buffer = ChDbNative.chdb_result_buffer(_handle);
        return new ResultStream(this, buffer, Length);
    }

    /// <summary>Copies the result into managed memory.</summary>
    public byte[] ToArray()
    {
        ObjectDisposedException.ThrowIf(_handle == 0, this);
        var buffer = ChDbNative.chdb_result_buffer(_handle);
        return Length == 0 || buffer == null ? [] : new ReadOnlySpan<byte>(buffer, checked((int)Length)).ToArray();
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            ChDbNative.chdb_destroy_query_result(handle);
        }

        GC.SuppressFinalize(this);
    }

    ~ChDbResult()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            ChDbNative.chdb_destroy_query_result(handle);
        }
    }

    private sealed class ResultStream : UnmanagedMemoryStream
    {
        private readonly ChDbResult _owner;

        public ResultStream(ChDbResult owner, byte* buffer, long length)
            : base(buffer == null ? EmptyByte() : buffer, buffer == null ? 0 : length)
        {
            _owner = owner;
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
            {
                _owner.Dispose();
            }
        }

        private static byte* EmptyByte()
        {
            // UnmanagedMemoryStream needs a non-null pointer even for an empty result.
            return (byte*)Empty;
        }

        private static readonly nint Empty = System.Runtime.InteropServices.Marshal.AllocHGlobal(1);
    }
}
