using System.Text;

namespace FeedbackStream.EmbeddedClickHouse;

/// <summary>What the HTTP core needs to know about a request's SQL before handing it to the engine.</summary>
internal enum StatementKind
{
    Other,
    Insert,
    Set,
    Use,
}

/// <summary>
/// The result of <see cref="SqlText.Analyze"/>: the statement kind, and for an INSERT with inline data, where the
/// SQL head ends, which input format the data is in and where the data begins.
/// </summary>
internal readonly record struct SqlAnalysis(StatementKind Kind, int HeadLength, string? InputFormat, int DataStart, bool HasInlineData, int SettingsAt)
{
    public static SqlAnalysis Error(string message) => new(StatementKind.Other, 0, null, 0, false, -1) { ErrorMessage = message };

    public string? ErrorMessage { get; init; }
}

/// <summary>
/// A small ClickHouse SQL lexer over UTF-8 bytes: skips string literals, quoted identifiers, comments and
/// heredocs, tracks parenthesis depth and finds what matters at the top level: the first keyword, a second
/// statement after ';', and an INSERT's FORMAT/VALUES clause after which inline (possibly binary) data begins.
/// It never reads past the start of inline data.
/// </summary>
internal static class SqlText
{
    public static SqlAnalysis Analyze(ReadOnlySpan<byte> sql)
    {
        var lexer = new Lexer(sql);
        var first = lexer.Next(out var firstError);
        if (firstError is not null)
        {
            return SqlAnalysis.Error(firstError);
        }

        var kind = first switch
        {
            _ when Is(sql, first, "INSERT") => StatementKind.Insert,
            _ when Is(sql, first, "SET") => StatementKind.Set,
            _ when Is(sql, first, "USE") => StatementKind.Use,
            _ => StatementKind.Other,
        };

        var insertClauseOpen = kind == StatementKind.Insert;
        var settingsAt = -1;
        while (true)
        {
            var token = lexer.Next(out var error);
            if (error is not null)
            {
                return SqlAnalysis.Error(error);
            }

            if (token.Kind == TokenKind.End)
            {
                return new SqlAnalysis(kind, sql.Length, null, sql.Length, false, settingsAt);
            }

            if (token.Kind == TokenKind.Semicolon && lexer.Depth == 0)
            {
                // Only trivia may follow a statement terminator.
                var after = lexer.Next(out error);
                if (error is not null)
                {
                    return SqlAnalysis.Error(error);
                }

                if (after.Kind != TokenKind.End && after.Kind != TokenKind.Semicolon)
                {
                    return SqlAnalysis.Error("Multi-statements are not allowed: send one statement per request.");
                }

                return new SqlAnalysis(kind, token.Start, null, sql.Length, false, settingsAt);
            }

            if (!insertClauseOpen || token.Kind != TokenKind.Word || lexer.Depth != 0)
            {
                continue;
            }

            if (Is(sql, token, "SELECT") || Is(sql, token, "WITH"))
            {
                // INSERT ... SELECT: no inline data; the rest is ordinary SQL.
                insertClauseOpen = false;
            }
            else if (Is(sql, token, "SETTINGS"))
            {
                settingsAt = token.Start;
            }
            else if (Is(sql, token, "VALUES"))
            {
                return new SqlAnalysis(kind, token.Start, "Values", token.End, true, settingsAt);
            }
            else if (Is(sql, token, "FORMAT"))
            {
                var name = lexer.Next(out error);
                if (error is not null || name.Kind != TokenKind.Word)
                {
                    return SqlAnalysis.Error("FORMAT must be followed by a format name.");
                }

                var format = Encoding.ASCII.GetString(sql[name.Start..name.End]);
                return new SqlAnalysis(kind, token.Start, format, DataStartAfter(sql, name.End), true, settingsAt);
            }
        }
    }

    /// <summary>Statements a GET may run (a server runs GET with readonly semantics): reads only.</summary>
    private static readonly string[] ReadingStatements = ["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "VALUES"];

    /// <summary>
    /// Table functions, table engines and dictionary sources that read or write files, run programs or reach other
    /// services (lower case; matched case-insensitively when a word is followed by '(').
    /// </summary>
    private static readonly HashSet<string> ExternalAccess = new(StringComparer.OrdinalIgnoreCase)
    {
        "file", "filecluster", "url", "urlcluster", "remote", "remotesecure", "cluster", "clusterallreplicas",
        "s3", "s3cluster", "gcs", "oss", "cosn", "hdfs", "hdfscluster", "azureblobstorage", "azureblobstoragecluster",
        "mysql", "postgresql", "mongodb", "redis", "sqlite", "jdbc", "odbc", "executable", "executablepool",
        "iceberg", "icebergs3", "icebergazure", "iceberghdfs", "icebergs3cluster", "deltalake", "deltalakecluster", "hudi", "hudicluster",
        "kafka", "rabbitmq", "nats", "distributed", "http", "clickhouse", "ytsaurus", "arrowflight", "prometheusquery",
        "disk", "s3queue", "azurequeue", "materializedpostgresql", "materializedmysql", "filelog",
    };

    /// <summary>Statements that read or write files named in them.</summary>
    private static readonly string[] ExternalStatements = ["BACKUP", "RESTORE"];

    /// <summary>True when the statement only reads (what a GET may run).</summary>
    public static bool IsReading(ReadOnlySpan<byte> sql)
    {
        var lexer = new Lexer(sql);
        while (true)
        {
            var token = lexer.Next(out var error);
            if (error is not null || token.Kind is TokenKind.End or TokenKind.Semicolon)
            {
                return false;
            }

            if (token.Kind == TokenKind.Punctuation && sql[token.Start] == (byte)'(')
            {
                continue;
            }

            foreach (var keyword in ReadingStatements)
            {
                if (Is(sql, token, keyword))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// The first table function, engine, dictionary source or keyword in <paramref name="sql"/> that reaches files,
    /// programs or other services, or <see langword="null"/> when there is none. Literals and comments are skipped.
    /// </summary>
    public static string? FindExternalAccess(ReadOnlySpan<byte> sql)
    {
        var lexer = new Lexer(sql);
        Token previous = default;
        var first = true;
        string? pendingFile = null;
        while (true)
        {
            var token = lexer.Next(out var error);
            if (error is not null || token.Kind == TokenKind.End)
            {
                return null;
            }

            if (pendingFile is not null && token.Kind == TokenKind.Quoted && sql[token.Start] == (byte)'\'')
            {
                // FROM INFILE 'path' / INTO OUTFILE 'path' (a table named outfile is not a file).
                return pendingFile;
            }

            pendingFile = null;

            if (token.Kind == TokenKind.Punctuation && sql[token.Start] == (byte)'(' && previous.Kind is TokenKind.Word or TokenKind.Quoted)
            {
                var name = NameOf(sql, previous);
                if (name is not null && ExternalAccess.Contains(name))
                {
                    return name + "()";
                }
            }

            if (token.Kind == TokenKind.Word)
            {
                if ((Is(sql, token, "INFILE") && Is(sql, previous, "FROM")) || (Is(sql, token, "OUTFILE") && Is(sql, previous, "INTO")))
                {
                    pendingFile = Is(sql, token, "INFILE") ? "FROM INFILE" : "INTO OUTFILE";
                }

                if (first)
                {
                    foreach (var keyword in ExternalStatements)
                    {
                        if (Is(sql, token, keyword))
                        {
                            return keyword;
                        }
                    }
                }
            }

            first = false;
            previous = token;
        }
    }

    private static string? NameOf(ReadOnlySpan<byte> sql, Token token)
    {
        var text = sql[token.Start..token.End];
        if (token.Kind == TokenKind.Quoted)
        {
            // `file`(...) and "file"(...) name the same function; a string literal does not.
            if (text.Length < 2 || text[0] == (byte)'\'' || text[0] == (byte)'$')
            {
                return null;
            }

            text = text[1..^1];
        }

        return Encoding.UTF8.GetString(text);
    }

    /// <summary>ClickHouse's rule: data starts after the format name, spaces and tabs, and at most one line break.</summary>
    private static int DataStartAfter(ReadOnlySpan<byte> sql, int position)
    {
        while (position < sql.Length && (sql[position] == (byte)' ' || sql[position] == (byte)'\t'))
        {
            position++;
        }

        if (position < sql.Length && sql[position] == (byte)'\r')
        {
            position++;
        }

        if (position < sql.Length && sql[position] == (byte)'\n')
        {
            position++;
        }

        return position;
    }

    private static bool Is(ReadOnlySpan<byte> sql, Token token, string keyword) =>
        token.Kind == TokenKind.Word && Ascii.EqualsIgnoreCase(sql[token.Start..token.End], keyword);

    private enum TokenKind
    {
        End,
        Word,
        Quoted,
        Semicolon,
        Punctuation,
    }

    private readonly record struct Token(TokenKind Kind, int Start, int End);

    private ref struct Lexer(ReadOnlySpan<byte> sql)
    {
        private readonly ReadOnlySpan<byte> _sql = sql;
        private int _position;

        public int Depth { get; private set; }

        public Token Next(out string? error)
        {
            error = null;
            SkipTrivia(ref error);
            if (error is not null || _position >= _sql.Length)
            {
                return new Token(TokenKind.End, _position, _position);
            }

            var start = _position;
            var c = _sql[_position];
            switch (c)
            {
                case (byte)'\'':
                case (byte)'"':
                case (byte)'`':
                    if (!SkipQuoted(c))
                    {
                        error = "Unterminated quoted literal or identifier.";
                        return new Token(TokenKind.End, start, _sql.Length);
                    }

                    return new Token(TokenKind.Quoted, start, _position);
                case (byte)';':
                    _position++;
                    return new Token(TokenKind.Semicolon, start, _position);
                case (byte)'(':
                case (byte)'[':
                    Depth++;
                    _position++;
                    return new Token(TokenKind.Punctuation, start, _position);
                case (byte)')':
                case (byte)']':
                    Depth = Math.Max(0, Depth - 1);
                    _position++;
                    return new Token(TokenKind.Punctuation, start, _position);
                case (byte)'$':
                    if (TrySkipHeredoc(ref error))
                    {
                        return new Token(TokenKind.Quoted, start, _position);
                    }

                    if (error is not null)
                    {
                        return new Token(TokenKind.End, start, _sql.Length);
                    }

                    break;
            }

            if (IsWordByte(c))
            {
                while (_position < _sql.Length && IsWordByte(_sql[_position]))
                {
                    _position++;
                }

                return new Token(TokenKind.Word, start, _position);
            }

            _position++;
            return new Token(TokenKind.Punctuation, start, _position);
        }

        private static bool IsWordByte(byte c) =>
            c is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'_' or (byte)'$' or >= 0x80;

        private void SkipTrivia(ref string? error)
        {
            while (_position < _sql.Length)
            {
                var c = _sql[_position];
                if (c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v')
                {
                    _position++;
                }
                else if (c == (byte)'-' && Peek(1) == (byte)'-' || c == (byte)'#' && (Peek(1) is (byte)' ' or (byte)'!'))
                {
                    while (_position < _sql.Length && _sql[_position] != (byte)'\n')
                    {
                        _position++;
                    }
                }
                else if (c == (byte)'/' && Peek(1) == (byte)'*')
                {
                    // ClickHouse block comments nest.
                    var depth = 0;
                    do
                    {
                        if (_position + 1 < _sql.Length && _sql[_position] == (byte)'/' && _sql[_position + 1] == (byte)'*')
                        {
                            depth++;
                            _position += 2;
                        }
                        else if (_position + 1 < _sql.Length && _sql[_position] == (byte)'*' && _sql[_position + 1] == (byte)'/')
                        {
                            depth--;
                            _position += 2;
                        }
                        else
                        {
                            _position++;
                        }
                    }
                    while (depth > 0 && _position < _sql.Length);

                    if (depth > 0)
                    {
                        error = "Unterminated comment.";
                        return;
                    }
                }
                else
                {
                    return;
                }
            }
        }

        private readonly byte Peek(int offset) => _position + offset < _sql.Length ? _sql[_position + offset] : (byte)0;

        private bool SkipQuoted(byte quote)
        {
            _position++;
            while (_position < _sql.Length)
            {
                var c = _sql[_position];
                if (c == (byte)'\\')
                {
                    _position += 2;
                    continue;
                }

                if (c == quote)
                {
                    // A doubled quote is an escaped quote.
                    if (Peek(1) == quote)
                    {
                        _position += 2;
                        continue;
                    }

                    _position++;
                    return true;
                }

                _position++;
            }

            return false;
        }

        private bool TrySkipHeredoc(ref string? error)
        {
            // $tag$ ... $tag$ where tag is empty or a word.
            var end = _position + 1;
            while (end < _sql.Length && IsWordByte(_sql[end]) && _sql[end] != (byte)'$')
            {
                end++;
            }

            if (end >= _sql.Length || _sql[end] != (byte)'$')
            {
                return false;
            }

            var tag = _sql[_position..(end + 1)];
            var close = _sql[(end + 1)..].IndexOf(tag);
            if (close < 0)
            {
                error = "Unterminated heredoc.";
                return false;
            }

            _position = end + 1 + close + tag.Length;
            return true;
        }
    }
}
