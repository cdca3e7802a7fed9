using System.Runtime.InteropServices;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>The subset of chDB's C API (chdb.h) used here. Handles are opaque pointers.</summary>
internal static unsafe partial class ChDbNative
{
    /// <summary>Returns a pointer to a connection handle (chdb_connection*), or NULL.</summary>
    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial nint chdb_connect(int argc, byte** argv);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial void chdb_close_conn(nint connectionPointer);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial nint chdb_query_n(nint connection, byte* query, nuint queryLength, byte* format, nuint formatLength);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial nint chdb_query_with_params_n(
        nint connection,
        byte* query,
        nuint queryLength,
        byte* format,
        nuint formatLength,
        byte** names,
        nuint* nameLengths,
        byte** values,
        nuint* valueLengths,
        nuint count);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial byte* chdb_result_buffer(nint result);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial nuint chdb_result_length(nint result);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial double chdb_result_elapsed(nint result);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial ulong chdb_result_rows_read(nint result);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial ulong chdb_result_bytes_read(nint result);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial ulong chdb_result_rows_written(nint result);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial ulong chdb_result_bytes_written(nint result);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial byte* chdb_result_error(nint result);

    [LibraryImport(ChDbLibrary.ImportName)]
    internal static partial void chdb_destroy_query_result(nint result);
}
