using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Zoo.Core.Data.Arrays;

namespace Zoo.Core.Tests;

/// <summary>
/// The .npy/.npz/.csv readers against files NumPy itself writes (Debian's python3-numpy at /usr/bin/python3; a
/// missing interpreter fails these tests rather than skipping them), plus hand-made damaged files.
/// </summary>
public class ArrayReaderTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string dir = Directory.CreateTempSubdirectory("zoo-arrays-").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    private string P(string name) => Path.Combine(dir, name);

    /// <summary>Runs a NumPy script in the temp dir and returns its stdout; any failure fails the test.</summary>
    private string Py(string script)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: these tests need files written by NumPy; install python3-numpy (scripts/setup.sh, or apt-get install -y python3-numpy)");
        var file = P("make.py");
        File.WriteAllText(file, "import numpy as np, json\n" + script);
        var start = new ProcessStartInfo(Python, [file])
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Python} failed with exit code {process.ExitCode} (is python3-numpy installed?): {stderr.Result}");
        return stdout;
    }

    /// <summary>Python that prints an array's shape, descr, header order and its values as numpy's own float32 cast, C order.</summary>
    private const string Describe = """
        def describe(a):
            a = np.asarray(a)
            return {'shape': list(a.shape), 'descr': np.lib.format.dtype_to_descr(a.dtype), 'fortran': bool(a.flags.fnc),
                    'values': [float(v) for v in np.ascontiguousarray(a).astype(np.float32).ravel()]}

        """;

    private static float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(v => (float)v.GetDouble())];
    private static int[] Ints(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetInt32())];
    private static long[] Longs(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetInt64())];

    private static void ShouldMatch(NumericArray a, JsonElement expected)
    {
        a.Shape.ShouldBe(Ints(expected.GetProperty("shape")));
        a.DType.ShouldBe(expected.GetProperty("descr").GetString());
        a.Values.ShouldBe(Floats(expected.GetProperty("values")));
    }

    private static void ShouldFail(Action read, string file, string phrase)
    {
        var e = Should.Throw<ArrayFormatException>(read);
        e.Message.ShouldContain(Path.GetFileName(file));
        e.Message.ShouldContain(phrase);
        e.Message.ShouldNotContain("\n");
        e.Message.ShouldNotContain("\r");
    }

    public static TheoryData<string, string, int> NpyCases => new()
    {
        { "float32", "(np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(7)).astype(np.float32)", 1 },
        { "float64", "np.arange(12).reshape(4, 3) / 7", 1 },
        { "float16", "(np.arange(6) / 3).astype(np.float16)", 1 },
        { "uint8 N×H×W", "(np.arange(2 * 5 * 4) * 37 % 256).astype(np.uint8).reshape(2, 5, 4)", 1 },
        { "int8", "np.arange(-6, 6, dtype=np.int8).reshape(3, 4)", 1 },
        { "int16", "np.arange(-600, 600, 100, dtype=np.int16)", 1 },
        { "int32", "np.array([[-16777216, 0], [5, 16777216]], dtype=np.int32)", 1 },
        { "int64 labels", "np.arange(10, dtype=np.int64) % 3", 1 },
        { "uint16", "np.arange(0, 65535, 4097, dtype=np.uint16)", 1 },
        { "uint32", "np.arange(0, 16777216, 999999, dtype=np.uint32)", 1 },
        { "uint64", "np.arange(7, dtype=np.uint64)", 1 },
        { "bool", "np.arange(6).reshape(2, 3) % 2 == 0", 1 },
        { "fortran 2-d", "np.asfortranarray(np.arange(130 * 70, dtype=np.float32).reshape(130, 70) / np.float32(7))", 1 },
        { "fortran 3-d", "np.asfortranarray(np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))", 1 },
        { "fortran 4-d", "np.asfortranarray(np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5) / 3)", 1 },
        { "big-endian float32", "(np.arange(12).reshape(3, 4) / 7).astype('>f4')", 1 },
        { "big-endian float64", "(np.arange(12).reshape(3, 4) / 7).astype('>f8')", 1 },
        { "big-endian float16", "(np.arange(6) / 3).astype('>f2')", 1 },
        { "big-endian int32", "np.arange(-5, 7).astype('>i4')", 1 },
        { "big-endian uint16", "np.arange(0, 65535, 4097).astype('>u2')", 1 },
        { "big-endian fortran", "np.asfortranarray((np.arange(15).reshape(3, 5) / 7).astype('>f4'))", 1 },
        { "version 2.0", "(np.arange(12).reshape(3, 4) / 7).astype(np.float32)", 2 },
        { "version 3.0", "(np.arange(12).reshape(3, 4) / 7).astype(np.float32)", 3 },
        { "1-d", "np.linspace(-1, 1, 9).astype(np.float32)", 1 },
        { "0-d", "np.array(2.5)", 1 },
        { "empty 0×5", "np.zeros((0, 5), np.float32)", 1 },
    };

    [Theory]
    [MemberData(nameof(NpyCases))]
    public void Reads_npy_files_numpy_writes(string kind, string expression, int version)
    {
        _ = kind;
        var json = Py(Describe + $"""
            a = {expression}
            with open('a.npy', 'wb') as f:
                np.lib.format.write_array(f, a, version=({version}, 0))
            print(json.dumps(describe(a)))
            """);
        var expected = JsonDocument.Parse(json).RootElement;
        var header = NpyReader.ReadHeader(P("a.npy"));
        header.MajorVersion.ShouldBe(version);
        header.FortranOrder.ShouldBe(expected.GetProperty("fortran").GetBoolean());
        ShouldMatch(NpyReader.Read(P("a.npy")), expected);
    }

    [Fact]
    public void Formula_values_survive_exactly_and_integer_types_are_flagged()
    {
        Py("""
            np.save('f.npy', np.arange(12).reshape(3, 4) / 7)
            np.save('u.npy', np.arange(6, dtype=np.uint8))
            np.save('l.npy', np.arange(6, dtype=np.int64))
            np.save('b.npy', np.ones(2, dtype=bool))
            """);
        var f = NpyReader.Read(P("f.npy"));
        f.Values.ShouldBe(Enumerable.Range(0, 12).Select(i => (float)(i / 7.0)).ToArray());
        (f.IsInteger, f.IsUInt8).ShouldBe((false, false));
        var u = NpyReader.Read(P("u.npy"));
        (u.IsInteger, u.IsUInt8).ShouldBe((true, true));
        var l = NpyReader.Read(P("l.npy"));
        (l.IsInteger, l.IsUInt8).ShouldBe((true, false));
        l.AsLabels("l.npy").ShouldBe([0L, 1, 2, 3, 4, 5]);
        NpyReader.Read(P("b.npy")).IsInteger.ShouldBeTrue();
    }

    [Fact]
    public void Reads_mnist_sized_arrays_quickly_in_both_orders()
    {
        var json = Py("""
            a = np.random.default_rng(0).random((60000, 784), dtype=np.float32)
            np.save('big.npy', a)
            u = (np.random.default_rng(1).random((60000, 784)) * 256).astype(np.uint8)
            np.save('bigf.npy', np.asfortranarray(u))
            print(json.dumps({'sum': float(a.astype(np.float64).sum()), 'a': [float(a[0, 0]), float(a[12345, 678]), float(a[-1, -1])],
                              'u': [int(u[0, 0]), int(u[12345, 678]), int(u[-1, -1])], 'usum': int(u.sum(dtype=np.int64))}))
            """);
        var expected = JsonDocument.Parse(json).RootElement;
        var clock = Stopwatch.StartNew();
        var a = NpyReader.Read(P("big.npy"));
        var u = NpyReader.Read(P("bigf.npy"));
        clock.Stop();
        a.Shape.ShouldBe([60000, 784]);
        new[] { a.Values[0], a.Values[12345 * 784 + 678], a.Values[^1] }.ShouldBe(Floats(expected.GetProperty("a")));
        a.Values.Sum(v => (double)v).ShouldBe(expected.GetProperty("sum").GetDouble(), 1e-6 * expected.GetProperty("sum").GetDouble());
        u.Shape.ShouldBe([60000, 784]);
        new[] { u.Values[0], u.Values[12345 * 784 + 678], u.Values[^1] }.ShouldBe(Floats(expected.GetProperty("u")));
        ((long)u.Values.Sum(v => (double)v)).ShouldBe(expected.GetProperty("usum").GetInt64());
        u.AsExamples("bigf.npy").ShouldBe((60000, 784, 1, 784, 1));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_npz_members_by_name(bool compressed)
    {
        var json = Py(Describe + $$"""
            x = (np.arange(20, dtype=np.float32).reshape(5, 4) / np.float32(7)).astype(np.float32)
            labels = np.arange(5, dtype=np.int64) * 3 % 4
            np.{{(compressed ? "savez_compressed" : "savez")}}('d.npz', x=x, labels=labels)
            print(json.dumps({'x': describe(x), 'labels': [int(v) for v in labels]}))
            """);
        var expected = JsonDocument.Parse(json).RootElement;
        using (var zip = ZipFile.OpenRead(P("d.npz")))
            zip.Entries.Any(e => e.CompressedLength < e.Length).ShouldBe(compressed);
        using var npz = NpzReader.Open(P("d.npz"));
        npz.Names.ShouldBe(["x", "labels"], ignoreOrder: true);
        npz.Contains("x").ShouldBeTrue();
        ShouldMatch(npz.Read("x"), expected.GetProperty("x"));
        npz.Read("labels").AsLabels("d.npz[labels]").ShouldBe(Longs(expected.GetProperty("labels")));
        NpzReader.Read(P("d.npz"), "x").AsExamples("d.npz").ShouldBe((5, 4, 1, 4, 1));
    }

    [Fact]
    public void Npz_errors_name_the_archive_and_what_it_holds()
    {
        Py("""
            np.savez('d.npz', x=np.zeros((2, 3), np.float32), labels=np.arange(2))
            np.savez('o.npz', z=np.array([1, 'a', None], dtype=object))
            """);
        using (var npz = NpzReader.Open(P("d.npz")))
            ShouldFail(() => npz.Read("y"), "d.npz", "no array 'y' in the archive; it holds 'x', 'labels'");
        ShouldFail(() => NpzReader.Read(P("o.npz"), "z"), "o.npz[z]", "unsupported dtype '|O'");
        File.WriteAllText(P("bad.npz"), "this is not a zip archive at all");
        ShouldFail(() => NpzReader.Open(P("bad.npz")), "bad.npz", "not a valid .npz (zip) archive");
        ShouldFail(() => NpyReader.Read(P("d.npz")), "d.npz", "looks like a zip archive (.npz): read it with NpzReader");
    }

    [Fact]
    public void Reads_csv_from_savetxt_with_and_without_header_and_labels()
    {
        var json = Py("""
            x = np.arange(12).reshape(4, 3) / 7
            y = np.array([2, 0, 1, 2])
            np.savetxt('plain.csv', x, delimiter=',')
            np.savetxt('header.csv', np.column_stack([x, y]), delimiter=',', header='a,b,c,label', comments='')
            np.savetxt('first.csv', np.column_stack([y, x]), delimiter=',', fmt=['%d'] + ['%.8g'] * 3)
            np.savetxt('commented.csv', np.column_stack([x, y]), delimiter=',', header='a,b,c,label', footer='the end')
            first = np.loadtxt('first.csv', delimiter=',')[:, 1:]
            print(json.dumps({'x': [float(v) for v in x.astype(np.float32).ravel()], 'y': [int(v) for v in y],
                              'first': [float(v) for v in first.astype(np.float32).ravel()]}))
            """);
        var expected = JsonDocument.Parse(json).RootElement;
        var x = Floats(expected.GetProperty("x"));
        var y = Longs(expected.GetProperty("y"));

        var plain = CsvArrayReader.Read(P("plain.csv"));
        plain.Features.Shape.ShouldBe([4, 3]);
        plain.Features.Values.ShouldBe(x);
        (plain.Labels, plain.Columns, plain.LabelColumn).ShouldBe((null, null, null));

        var header = CsvArrayReader.Read(P("header.csv"), "label");
        header.Features.Shape.ShouldBe([4, 3]);
        header.Features.Values.ShouldBe(x);
        header.Labels.ShouldBe(y);
        header.Columns.ShouldBe(["a", "b", "c"]);
        header.LabelColumn.ShouldBe("label");
        CsvArrayReader.Read(P("header.csv"), -1).Labels.ShouldBe(y);

        var first = CsvArrayReader.Read(P("first.csv"), 0);
        first.Features.Values.ShouldBe(Floats(expected.GetProperty("first")));
        first.Labels.ShouldBe(y);
        first.Features.AsExamples("first.csv").ShouldBe((4, 3, 1, 3, 1));

        var commented = CsvArrayReader.Read(P("commented.csv"), 3);
        commented.Features.Values.ShouldBe(x);
        commented.Labels.ShouldBe(y);
        ShouldFail(() => CsvArrayReader.Read(P("commented.csv"), "label"), "commented.csv", "given by name but the file has no header row");
    }

    [Fact]
    public void Csv_skips_blank_and_comment_lines()
    {
        File.WriteAllText(P("c.csv"), "# made by hand\n\nx,y\n1,2\n\n# middle\n3.5,-4e-1\n");
        var c = CsvArrayReader.Read(P("c.csv"));
        c.Features.Shape.ShouldBe([2, 2]);
        c.Features.Values.ShouldBe([1f, 2f, 3.5f, -0.4f]);
        c.Columns.ShouldBe(["x", "y"]);
    }

    public static TheoryData<string, string, string> MalformedCsv => new()
    {
        { "#\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4\n", "", ":9: 4 fields, expected 5 (as on line 2)" },
        { "a,b,c\n1,2,3\n\n#\n\n\n1,2,abc\n", "", ":7: field 3 'abc' is not a number" },
        { "1,2\n3,nan\n", "", ":2: field 2 'nan' is not a finite number" },
        { "1,2\n3,\n", "", ":2: field 2 is empty" },
        { "a,label\n1,2\n3,-1\n", "label", ":3: label field 2 ('label') '-1' is not a non-negative integer" },
        { "a,label\n1,2.5\n", "label", ":2: label field 2 ('label') '2.5' is not a non-negative integer" },
        { "a,b\n1,2\n", "label", ":1: no column 'label' in the header; it has 'a', 'b'" },
        { "a,b\n", "", ": no data rows after the header" },
        { "", "", ": no data rows (the file is empty)" },
    };

    [Theory]
    [MemberData(nameof(MalformedCsv))]
    public void Malformed_csv_gives_one_line_naming_file_and_line(string content, string label, string expected)
    {
        File.WriteAllText(P("data.csv"), content);
        ShouldFail(() => _ = label == "" ? CsvArrayReader.Read(P("data.csv")) : CsvArrayReader.Read(P("data.csv"), label),
            "data.csv", P("data.csv") + expected);
    }

    [Fact]
    public void Csv_label_index_out_of_range_is_refused()
    {
        File.WriteAllText(P("data.csv"), "1,2\n");
        ShouldFail(() => CsvArrayReader.Read(P("data.csv"), 2), "data.csv", "label column 2 is out of range; the rows have 2 fields");
        ShouldFail(() => CsvArrayReader.Read(P("data.csv"), -3), "data.csv", "label column -3 is out of range");
        File.WriteAllText(P("one.csv"), "1\n2\n");
        ShouldFail(() => CsvArrayReader.Read(P("one.csv"), 0), "one.csv", "no feature columns besides the label column");
    }

    public static TheoryData<string, string> MalformedNumpy => new()
    {
        { "np.save('x.npy', np.array([1, 'a', None], dtype=object), allow_pickle=True)",
            "unsupported dtype '|O' (Python objects, saved with pickle); expected float32, float64, uint8 or an integer type" },
        { "np.save('x.npy', np.zeros(3, dtype=[('a', '<i4'), ('b', '<f8')]))", "structured dtype with 2 fields is not supported" },
        { "np.save('x.npy', np.zeros((2, 2), np.complex64))", "unsupported dtype '<c8' (complex); expected float32, float64, uint8 or an integer type" },
        { "np.save('x.npy', np.array(['abc', 'de']))", "unsupported dtype '<U3' (unicode strings)" },
        { "np.save('x.npy', np.array(['2020-01-01'], dtype='datetime64[D]'))", "unsupported dtype '<M8[D]' (datetime)" },
        { "np.save('x.npy', np.array([1, 2**40]))", "int64 element 1 is 1099511627776, beyond ±16777216" },
        { "np.save('x.npy', np.zeros((10, 784), np.float32))\nimport os\nos.truncate('x.npy', 128 + 1200)",
            "truncated: header promises 10×784 float32 values (31360 bytes), the file holds 1200 after the header" },
        { "np.save('x.npy', np.zeros((3, 4), np.uint8))\nopen('x.npy', 'ab').write(b'extra')",
            "5 unexpected bytes after the 12 data bytes the header promises (3×4 uint8 values)" },
        { "np.save('x.npy', np.zeros((3, 4), np.uint8))\nimport os\nos.truncate('x.npy', 50)",
            "truncated header: the preamble promises 118 header bytes, the file holds 40" },
    };

    [Theory]
    [MemberData(nameof(MalformedNumpy))]
    public void Unreadable_numpy_files_give_one_clear_line(string script, string expected)
    {
        Py(script);
        ShouldFail(() => NpyReader.Read(P("x.npy")), "x.npy", P("x.npy") + ": " + expected);
    }

    /// <summary>A hand-made .npy: magic, version, header length and header, then <paramref name="data"/> bytes.</summary>
    private string RawNpy(string header, byte major = 1, int data = 0, string magic = "\x93NUMPY")
    {
        var h = Encoding.Latin1.GetBytes(header + "\n");
        var bytes = new List<byte>(Encoding.Latin1.GetBytes(magic)) { major, 0 };
        if (major == 1) bytes.AddRange(BitConverter.GetBytes((ushort)h.Length));
        else bytes.AddRange(BitConverter.GetBytes((uint)h.Length));
        bytes.AddRange(h);
        bytes.AddRange(new byte[data]);
        File.WriteAllBytes(P("raw.npy"), [.. bytes]);
        return P("raw.npy");
    }

    public static TheoryData<string, byte, string, string> MalformedHeaders => new()
    {
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 1, "\x93NUMPX", "bad magic: not a NumPy .npy file" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 4, "\x93NUMPY", "unsupported .npy format version 4.0" },
        { "{'descr': '<f4', 'fortran_order': Flase, 'shape': (3, 4), }", 1, "\x93NUMPY", "header is not a Python dict literal (unknown name 'Flase'" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)", 1, "\x93NUMPY", "header is not a Python dict literal" },
        { "{'descr': '<f4', 'shape': (3, 4), }", 1, "\x93NUMPY", "header has no 'fortran_order' key" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }", 1, "\x93NUMPY", "shape dimension 0 is negative (-3)" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 1000), }", 2, "\x93NUMPY",
            "shape 100000×100000×1000 holds more than the 2147483591 elements one array can hold" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 0), }", 1, "\x93NUMPY", "holds more than" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': [3, 4], }", 1, "\x93NUMPY", "header 'shape' is a list, not a tuple" },
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (3.5,), }", 1, "\x93NUMPY", "a number that is not an integer" },
        { "{'descr': 'f4\nx', 'fortran_order': 0, 'shape': (3,), }", 1, "\x93NUMPY", "header 'fortran_order' is 0, not True or False" },
        { "{'descr': '<f16', 'fortran_order': False, 'shape': (3,), }", 1, "\x93NUMPY", "unsupported dtype '<f16' (128-bit float)" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void Damaged_headers_give_one_clear_line(string header, byte major, string magic, string expected)
    {
        var path = RawNpy(header, major, magic: magic);
        ShouldFail(() => NpyReader.Read(path), "raw.npy", expected);
    }

    [Fact]
    public void Hand_made_header_in_old_python2_style_reads()
    {
        var path = RawNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 3L)}", data: 6);
        var a = NpyReader.Read(path);
        a.Shape.ShouldBe([2, 3]);
        a.Values.ShouldBe(new float[6]);
        ShouldFail(() => NpyReader.Read(RawNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3)}", data: 5)), "raw.npy",
            "truncated: header promises 2×3 uint8 values (6 bytes), the file holds 5 after the header");
        File.WriteAllBytes(P("empty.npy"), []);
        ShouldFail(() => NpyReader.Read(P("empty.npy")), "empty.npy", "bad magic: not a NumPy .npy file (the file is empty");
    }

    [Fact]
    public void As_examples_accepts_matrices_and_images_only()
    {
        Py("""
            np.save('m.npy', np.zeros((3, 4), np.float32))
            np.save('i.npy', np.zeros((3, 4, 5), np.uint8))
            np.save('c.npy', np.zeros((3, 4, 5, 1), np.uint8))
            np.save('r.npy', np.zeros((3, 4, 5, 6), np.uint8))
            np.save('v.npy', np.zeros(7, np.float32))
            """);
        NpyReader.Read(P("m.npy")).AsExamples("m.npy").ShouldBe((3, 4, 1, 4, 1));
        NpyReader.Read(P("i.npy")).AsExamples("i.npy").ShouldBe((3, 20, 4, 5, 1));
        NpyReader.Read(P("c.npy")).AsExamples("c.npy").ShouldBe((3, 20, 4, 5, 1));
        ShouldFail(() => NpyReader.Read(P("r.npy")).AsExamples("r.npy"), "r.npy", "r.npy: expected an array of shape N×D, N×H×W or N×H×W×C (C = 1 or 3), found 3×4×5×6");
        ShouldFail(() => NpyReader.Read(P("v.npy")).AsExamples("v.npy"), "v.npy", "found 7");
        ShouldFail(() => NpyReader.Read(P("m.npy")).AsLabels("m.npy"), "m.npy", "expected labels of shape N or N×1, found 3×4");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Matlab_matrices_written_by_scipy_read_as_numpy_sees_them_compressed_or_not(bool compressed)
    {
        var expected = JsonDocument.Parse(Py(Describe + $$"""
            import scipy.io
            rng = np.random.default_rng(3)
            v = {'pixels': rng.integers(0, 256, (3, 4)).astype(np.uint8), 'cube': rng.normal(size=(2, 3, 4)),
                 'small': np.array([[1.5, -2.25]], dtype=np.float32), 'counts': np.arange(-6, 6, dtype=np.int16).reshape(4, 3),
                 'mask': np.array([[True, False, True]]), 'big': np.array([[70000, -3]], dtype=np.int32)}
            scipy.io.savemat('m.mat', dict(v, text='not numbers', cell=np.array([1, 'a'], dtype=object)), do_compression={{(compressed ? "True" : "False")}})
            print(json.dumps({k: describe(a) for k, a in v.items()}))
            """)).RootElement;
        var path = P("m.mat");
        MatReader.Names(path).Order().ShouldBe(["big", "cell", "counts", "cube", "mask", "pixels", "small", "text"]);
        foreach (var name in new[] { "pixels", "cube", "small", "counts", "mask", "big" })
            ShouldMatch(MatReader.Read(path, name), expected.GetProperty(name));
        Should.Throw<ArrayFormatException>(() => MatReader.Read(path, "text")).Message.ShouldBe($"{path}[text]: expected a real numeric matrix, found a char array");
        Should.Throw<ArrayFormatException>(() => MatReader.Read(path, "cell")).Message.ShouldBe($"{path}[cell]: expected a real numeric matrix, found a cell array");
        Should.Throw<ArrayFormatException>(() => MatReader.Read(path, "pixel")).Message
            .ShouldBe($"{path}: no variable 'pixel'; did you mean 'pixels'? (it holds 'pixels', 'cube', 'small', 'counts', 'mask', 'big', 'text', 'cell')");
    }

    [Fact]
    public void A_damaged_or_foreign_mat_file_is_one_line_naming_it()
    {
        Py("""
            import scipy.io
            scipy.io.savemat('ok.mat', {'x': np.arange(1000.0).reshape(10, 100)}, do_compression=True)
            """);
        var ok = File.ReadAllBytes(P("ok.mat"));
        File.WriteAllBytes(P("cut.mat"), ok[..200]);
        Should.Throw<ArrayFormatException>(() => MatReader.Read(P("cut.mat"), "x")).Message.ShouldStartWith($"{P("cut.mat")}: ");
        File.WriteAllBytes(P("short.mat"), ok[..100]);
        Should.Throw<ArrayFormatException>(() => MatReader.Read(P("short.mat"), "x")).Message
            .ShouldBe($"{P("short.mat")}: not a MATLAB 5 MAT-file: 100 bytes, shorter than the 128-byte header");
        File.WriteAllBytes(P("h5.mat"), [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A, .. new byte[200]]);
        Should.Throw<ArrayFormatException>(() => MatReader.Read(P("h5.mat"), "x")).Message
            .ShouldEndWith("(an HDF5 file: MATLAB's v7.3 format, not read here; save with -v7)");
        Directory.CreateDirectory(P("dir.mat"));
        Should.Throw<IOException>(() => MatReader.Read(P("dir.mat"), "x")).Message.ShouldBe($"{P("dir.mat")} is a directory; expected a Level 5 MAT file");
    }

    /// <summary>A PNG encoder of its own in Python (zlib, struct): each row filtered with the given filter type, as encoders choose.</summary>
    private const string PngWriter = """
        import zlib, struct
        def paeth(a, b, c):
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            return a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        def write_png(name, img, filters, color=None):
            img = np.asarray(img, dtype=np.uint8)
            h, w = img.shape[:2]; ch = 1 if img.ndim == 2 else img.shape[2]
            rows, prev = b'', bytes(w * ch)
            for y in range(h):
                cur = img[y].reshape(-1).tobytes(); f = filters[y % len(filters)]; out = bytearray()
                for x in range(len(cur)):
                    a = cur[x - ch] if x >= ch else 0; b = prev[x]; c = prev[x - ch] if x >= ch else 0
                    pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][f]
                    out.append((cur[x] - pred) % 256)
                rows += bytes([f]) + bytes(out); prev = cur
            def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
            ihdr = struct.pack('>IIBBBBB', w, h, 8, color if color is not None else (0 if ch == 1 else 2), 0, 0, 0)
            with open(name, 'wb') as fh:
                fh.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(rows, 9)) + chunk(b'IEND', b''))

        """;

    [Fact]
    public void Png_images_from_an_independent_encoder_decode_to_their_pixels_under_every_filter()
    {
        var expected = JsonDocument.Parse(Py(PngWriter + """
            rng = np.random.default_rng(7)
            grey = rng.integers(0, 256, (9, 7)); rgb = rng.integers(0, 256, (5, 6, 3))
            write_png('grey.png', grey, [0, 1, 2, 3, 4])
            write_png('rgb.png', rgb, [4, 3, 2, 1, 0])
            write_png('alpha.png', rng.integers(0, 256, (2, 2, 4)), [0], color=6)
            print(json.dumps({'grey': grey.ravel().tolist(), 'rgb': rgb.ravel().tolist()}))
            """)).RootElement;
        var grey = Zoo.Core.Data.Images.Png.Read(P("grey.png"));
        (grey.Height, grey.Width, grey.Channels).ShouldBe((9, 7, 1));
        grey.Pixels.Select(v => (int)v).ShouldBe(expected.GetProperty("grey").EnumerateArray().Select(v => v.GetInt32()));
        var rgb = Zoo.Core.Data.Images.Png.Read(P("rgb.png"));
        (rgb.Height, rgb.Width, rgb.Channels).ShouldBe((5, 6, 3));
        rgb.Pixels.Select(v => (int)v).ShouldBe(expected.GetProperty("rgb").EnumerateArray().Select(v => v.GetInt32()));
        Should.Throw<ArrayFormatException>(() => Zoo.Core.Data.Images.Png.Read(P("alpha.png"))).Message
            .ShouldBe($"{P("alpha.png")}: RGB with alpha: only 8-bit greyscale or RGB PNGs without interlacing are read");

        var bytes = File.ReadAllBytes(P("grey.png"));
        File.WriteAllBytes(P("cut.png"), bytes[..40]);
        Should.Throw<ArrayFormatException>(() => Zoo.Core.Data.Images.Png.Read(P("cut.png"))).Message.ShouldStartWith($"{P("cut.png")}: truncated");
        bytes[20] ^= 0xFF; // inside IHDR: its CRC no longer matches
        File.WriteAllBytes(P("bad.png"), bytes);
        Should.Throw<ArrayFormatException>(() => Zoo.Core.Data.Images.Png.Read(P("bad.png"))).Message
            .ShouldBe($"{P("bad.png")}: damaged: the 'IHDR' chunk at byte 8 fails its CRC");
        File.WriteAllText(P("text.png"), "hello\n");
        Should.Throw<ArrayFormatException>(() => Zoo.Core.Data.Images.Png.Read(P("text.png"))).Message
            .ShouldBe($"{P("text.png")}: not a PNG file (it starts with 'hello\\x0a')");
    }
}
