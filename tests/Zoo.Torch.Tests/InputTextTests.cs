namespace Zoo.Torch.Tests;

/// <summary>The helpers every reader shares: a path that must be a file.</summary>
public class InputTextTests
{
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
