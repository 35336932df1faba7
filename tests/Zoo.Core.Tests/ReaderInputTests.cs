using System.Buffers.Binary;
using Zoo.Core.Data.Arrays;
using Zoo.Core.Data.Tabular;

namespace Zoo.Core.Tests;

/// <summary>
/// What every reader does with input that is not what it reads: a folder where the file should be, an IDX pair with no
/// examples, binary garbage (quoted, never echoed raw to the terminal).
/// </summary>
public class ReaderInputTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("zoo-readers-").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    private string P(string name) => Path.Combine(dir, name);

    private static byte[] Idx(params int[] dims)
    {
        var b = new byte[4 + 4 * dims.Length + dims.Aggregate(1, (a, d) => a * d)];
        (b[2], b[3]) = (0x08, (byte)dims.Length);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        return b;
    }

    public static TheoryData<string, string> Readers => new()
    {
        { "train-images-idx3-ubyte", "an IDX" },
        { "x.npy", "a NumPy .npy" },
        { "x.npz", "a NumPy .npz" },
        { "x.csv", "a CSV" },
        { "table.arff", "an ARFF" },
        { "table.csv", "a CSV" },
    };

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_folder_where_a_file_is_expected_is_named_as_a_folder(string name, string what)
    {
        var path = Directory.CreateDirectory(P(name)).FullName;
        Action read = name switch
        {
            "train-images-idx3-ubyte" => () => Data.Idx.Read(path),
            "x.npy" => () => NpyReader.Read(path),
            "x.npz" => () => NpzReader.Open(path).Dispose(),
            "x.csv" => () => CsvArrayReader.Read(path),
            _ => () => Table.Read(path),
        };
        Should.Throw<IOException>(read).Message.ShouldBe($"{path} is a directory; expected {what} file");
    }

    [Fact]
    public void An_idx_pair_with_no_examples_names_the_file_before_anything_uses_it()
    {
        var images = P("train-images-idx3-ubyte");
        var labels = P("train-labels-idx1-ubyte");
        File.WriteAllBytes(images, Idx(0, 28, 28));
        File.WriteAllBytes(labels, Idx(0));
        Should.Throw<InvalidDataException>(() => ImageDataset.FromIdx("mnist-train", images, labels)).Message
            .ShouldBe($"{images} holds 0 examples; a split needs at least one");
    }
}
