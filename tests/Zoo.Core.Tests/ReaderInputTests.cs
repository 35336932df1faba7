using System.Buffers.Binary;
using System.Text;
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

    public static TheoryData<string, byte[], string> Garbage => new()
    {
        { "x.csv", Encoding.Latin1.GetBytes("1,2\n3,\u001b[2J\0\u00ff\n"), ":2: field 2 '\\x1b[2J\\x00\\ufffd' is not a number" },
        { "x.npy", Npy("{'descr': '\u001b]0;owned\u0007', 'fortran_order': False, 'shape': (3,), }"),
            ": unsupported dtype '\\x1b]0;owned\\x07' (not a NumPy type string); expected float32, float64, uint8 or an integer type" },
        { "y.npy", Npy("\u001b\u0007" + new string('A', 100)),
            ": header is not a Python dict literal (unexpected '\\x1b' at character 0): '\\x1b\\x07AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…'" },
        { "t.arff", Encoding.Latin1.GetBytes("@relation t\n@attribute a numeric\n@data\n\u001b[2J\0\n"), ":4: column 'a' is numeric, found '\\x1b[2J\\x00'" },
        { "u.arff", Encoding.Latin1.GetBytes("\u001b]0;owned\u0007\n"), ":1: expected @relation, @attribute or @data, found '\\x1b]0;owned\\x07'" },
        { "t.csv", Encoding.Latin1.GetBytes("a,b\n1,\"x\"\u001b\n"), ":2: expected ',' after a quoted value, found '\\x1b'" },
    };

    private static byte[] Npy(string header)
    {
        var h = Encoding.Latin1.GetBytes(header + "\n");
        return [.. Encoding.Latin1.GetBytes("\u0093NUMPY"), 1, 0, .. BitConverter.GetBytes((ushort)h.Length), .. h, .. new byte[12]];
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Binary_garbage_is_quoted_in_one_short_line_not_echoed(string name, byte[] content, string expected)
    {
        var path = P(name);
        File.WriteAllBytes(path, content);
        Action read = Path.GetExtension(name) switch
        {
            ".npy" => () => NpyReader.Read(path),
            ".csv" when name == "x.csv" => () => CsvArrayReader.Read(path),
            _ => () => Table.Read(path),
        };
        var e = Should.Throw<Exception>(read);
        e.Message.ShouldBe(path + expected);
        e.Message.ShouldAllBe(c => !char.IsControl(c));
    }
}
