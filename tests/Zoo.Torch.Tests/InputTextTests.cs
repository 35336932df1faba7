namespace Zoo.Torch.Tests;

/// <summary>The helpers every reader shares: a path that must be a file, and file text quoted into an error.</summary>
public class InputTextTests
{
    [Theory]
    [InlineData("abc", "'abc'")]
    [InlineData("tab\there\n", @"'tab\x09here\x0a'")]
    [InlineData("\u001b[31mred\0", @"'\x1b[31mred\x00'")]
    [InlineData("\u00ff\ufffd\u202e", @"'ÿ\ufffd\u202e'")]   // printable Latin-1 stays; a decoder's U+FFFD and a bidi override do not
    [InlineData(@"C:\x", @"'C:\\x'")]
    [InlineData("0123456789012345678901234567890123456789", "'0123456789012345678901234567890123456789'")]
    [InlineData("01234567890123456789012345678901234567890", "'0123456789012345678901234567890123456789…'")]
    [InlineData("0123456789012345678901234567890123456\u0001", "'0123456789012345678901234567890123456…'")]   // an escape is not cut in half
    public void Excerpt_quotes_at_most_40_characters_with_non_printable_ones_escaped(string text, string quoted) =>
        Excerpt.Quote(text).ShouldBe(quoted);

    [Fact]
    public void Input_file_names_a_folder_as_a_folder_and_a_missing_file_as_missing()
    {
        var dir = Directory.CreateTempSubdirectory("zoo-input-").FullName;
        try
        {
            var file = Path.Combine(dir, "f.csv");
            File.WriteAllText(file, "1");
            InputFile.Require(file, "CSV").ShouldBe(file);
            Should.Throw<IOException>(() => InputFile.Require(dir, "CSV")).Message.ShouldBe($"{dir} is a directory; expected a CSV file");
            Should.Throw<IOException>(() => InputFile.Require(dir, "IDX", via: "ZOO_X")).Message.ShouldBe($"{dir} (ZOO_X) is a directory; expected an IDX file");
            var none = Path.Combine(dir, "none");
            Should.Throw<FileNotFoundException>(() => InputFile.Require(none, "ARFF")).Message.ShouldBe($"{none}: no such ARFF file");
            Should.Throw<FileNotFoundException>(() => InputFile.Require(none, "ARFF", missing: "install it")).Message.ShouldBe("install it");
        }
        finally { Directory.Delete(dir, true); }
    }
}
