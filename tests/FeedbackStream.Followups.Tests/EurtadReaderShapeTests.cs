using FeedbackStream.Followups.Eurtad;

namespace FeedbackStream.Followups.Tests;

/// <summary>EURTAD lines of an undocumented shape fail with the file, line and field instead of being read as something else or dropped.</summary>
public sealed class EurtadReaderShapeTests
{
    private const string Good = """{"target":"t","user_reaction_type":"","user_reaction":"","error_type":"","error_text":"","context":"<user> a <system> b","id":1,"id_original":"7","source_file":"x.json"}""";

    [Theory]
    [InlineData("""{"target":"t","user_reaction_type":"","user_reaction":"","error_type":"","context":["<user> a"],"id":2,"id_original":"8","source_file":"x.json"}""", "context: expected a string")]
    [InlineData("""{"target":{"text":"t"},"user_reaction_type":"","user_reaction":"","error_type":"","context":"<user> a","id":2,"id_original":"8","source_file":"x.json"}""", "target: expected a string")]
    [InlineData("""{"target":"t","user_reaction_type":"Ask For Clarification","user_reaction":"what?","error_type":"","context":"<user> a","id":2,"id_original":"8","source_file":"x.json"}""", "user_reaction_type: unknown type 'Ask For Clarification'")]
    [InlineData("""{"target":"t","user_reaction_type":"","user_reaction":"what?","error_type":"","context":"<user> a","id":2,"id_original":"8","source_file":"x.json"}""", "user_reaction_type: empty, but user_reaction is not")]
    [InlineData("""{"target":"t","user_reaction_type":"Ignore and Continue","user_reaction":"","error_type":"","context":"<user> a","id":2,"id_original":"8","source_file":"x.json"}""", "user_reaction: empty, but user_reaction_type is not")]
    [InlineData("""{"target":"t","user_reaction_type":"","user_reaction":"","error_type":"","context":"<user> a","id":2,"id_original":true,"source_file":"x.json"}""", "id_original: expected a string or a number")]
    [InlineData("""["not", "a", "record"]""", "expected a JSON object")]
    public void Load_LineOfAnUndocumentedShape_FailsNamingFileLineAndField(string bad, string field)
    {
        var directory = Directory.CreateTempSubdirectory("fs-eurtad-").FullName;
        try
        {
            foreach (var file in EurtadCorpus.Files)
            {
                File.WriteAllLines(Path.Combine(directory, file), file == "dev.jsonl" ? [Good, string.Empty, bad] : [Good]);
            }

            var error = Assert.Throws<FormatException>(() => EurtadCorpus.Load(directory));

            Assert.StartsWith("dev.jsonl line 3: ", error.Message, StringComparison.Ordinal);
            Assert.Contains(field, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
