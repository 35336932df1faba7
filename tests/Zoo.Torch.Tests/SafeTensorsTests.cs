using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace Zoo.Torch.Tests;

public class SafeTensorsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("zoo-st-").FullName;
    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static byte[] Bytes(Tensor t)
    {
        var b = new byte[t.numel() * torch.ElementSize(t.dtype)];
        t.CopyBytesTo(b);
        return b;
    }

    [Fact]
    public void Round_trip_is_bit_exact_for_every_dtype_and_special_value()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var special = tensor(new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue, 1e-40f });
        var tensors = new Dictionary<string, Tensor>
        {
            ["w"] = randn([17, 5], g),
            ["special"] = special,
            ["f64"] = randn([3], g, float64),
            ["i64"] = randint(-1000, 1000, [4, 2], g),
            ["i32"] = randint(-5, 5, [3], g, int32),
            ["u8"] = randint(0, 256, [6], g, uint8),
            ["flags"] = rand([5], g).gt(0.5),
            ["scalar"] = scalar_tensor(3.5),
            ["empty"] = zeros([0, 4]),
        };
        var path = Path.Combine(dir, "m.safetensors");
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["epoch"] = "3", ["note"] = "ünïcode" });
        using var loaded = SafeTensors.Load(path);
        loaded.Metadata["epoch"].ShouldBe("3");
        loaded.Metadata["note"].ShouldBe("ünïcode");
        loaded.Tensors.Keys.Order().ShouldBe(tensors.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            var l = loaded.Tensors[name];
            l.dtype.ShouldBe(t.dtype, name);
            l.shape.ShouldBe(t.shape, name);
            Bytes(l).ShouldBe(Bytes(t), name);
        }
        // Writing the loaded file again gives the same bytes.
        var again = Path.Combine(dir, "again.safetensors");
        SafeTensors.Save(again, loaded.Tensors, loaded.Metadata);
        File.ReadAllBytes(again).ShouldBe(File.ReadAllBytes(path));
        Directory.GetFiles(dir).Length.ShouldBe(2);  // no temp files left behind
    }

    [Fact]
    public void Header_follows_the_format_an_independent_reader_expects()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(dir, "a.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["b"] = tensor(new float[] { 1, 2, 3 }), ["a"] = tensor(new long[] { 7 }) });
        var bytes = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        n.ShouldBe(n / 8 * 8);
        var header = Encoding.UTF8.GetString(bytes, 8, n).TrimEnd();
        header.ShouldBe("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}}");
        BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 + n)).ShouldBe(7L);
        BitConverter.ToSingle(bytes, 8 + n + 8 + 4).ShouldBe(2f);
    }

    /// <summary>Python reads what C# wrote and writes a file C# reads (numpy + json + struct, following the spec).</summary>
    [Fact]
    public void Python_reads_our_files_and_we_read_its_files()
    {
        using var scope = NewDisposeScope();
        var ours = Path.Combine(dir, "ours.safetensors");
        var theirs = Path.Combine(dir, "theirs.safetensors");
        SafeTensors.Save(ours, new Dictionary<string, Tensor>
        {
            ["x"] = tensor(new float[] { 1.5f, -2, 3 }, [3, 1]),
            ["i"] = tensor(new long[] { 1, 2 }),
        }, new Dictionary<string, string> { ["k"] = "v" });
        const string script = """
import json, struct, sys
import numpy as np
DT = {"F32": np.float32, "I64": np.int64, "F64": np.float64}
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); d = b[8 + n:]
    meta = h.pop("__metadata__", {})
    return {k: np.frombuffer(d[v["data_offsets"][0]:v["data_offsets"][1]], DT[v["dtype"]]).reshape(v["shape"]) for k, v in h.items()}, meta
t, m = load(sys.argv[1])
assert m == {"k": "v"}, m
assert t["x"].shape == (3, 1) and t["x"][:, 0].tolist() == [1.5, -2.0, 3.0], t["x"]
assert t["i"].tolist() == [1, 2]
a = np.arange(6, dtype=np.float64).reshape(2, 3) / 4
h = json.dumps({"__metadata__": {"from": "python"}, "a": {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 48]}}).encode()
h += b" " * (-len(h) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(h)) + h + a.astype("<f8").tobytes())
print("ok")
""";
        var scriptPath = Path.Combine(dir, "check.py");
        File.WriteAllText(scriptPath, script);
        var psi = new ProcessStartInfo("/usr/bin/python3", [scriptPath, ours, theirs]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, stderr);
        stdout.Trim().ShouldBe("ok");
        using var loaded = SafeTensors.Load(theirs);
        loaded.Metadata["from"].ShouldBe("python");
        loaded.Tensors["a"].data<double>().ShouldBe([0, 0.25, 0.5, 0.75, 1.0, 1.25]);
    }

    private string Write(byte[] content)
    {
        var p = Path.Combine(dir, $"bad-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(p, content);
        return p;
    }

    private static byte[] File8(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var b = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        return b;
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "short", "shorter than the 8-byte header length" },
        { "huge-header", "exceeds" },
        { "bad-json", "not valid JSON" },
        { "not-object", "not a JSON object" },
        { "bad-dtype", "tensor 'x': unsupported dtype 'Q7'" },
        { "size-mismatch", "needs 12" },
        { "truncated", "tensor 'x': data ends at byte 12 but the file holds only 5 data bytes" },
        { "overflow", "tensor 'x': F32 shape [1099511627776, 1099511627776] needs more than 9223372036854775807 bytes" },
        { "offsets-not-numbers", "tensor 'x': data_offsets must be integers" },
        { "duplicate", "tensor 'x' appears twice" },
        { "binary-header", "header is not valid JSON (byte 1 of line 1; it starts '\\x1b[2J\\x00\\ufffd\\ufffd\\x07')" },
        { "control-name", "tensor '\\x1b[2Jx': unsupported dtype" },
        { "gap", "gap or overlap" },
        { "negative-shape", "non-negative integer" },
        { "missing-offsets", "data_offsets" },
        { "trailing", "data region is" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_files_give_a_clear_error_naming_the_file(string kind, string expected)
    {
        var ok = "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}";
        byte[] content = kind switch
        {
            "short" => [1, 2, 3],
            "huge-header" => BitConverter.GetBytes(1_000_000UL),
            "bad-json" => File8("{\"x\": [", 0),
            "not-object" => File8("[1,2]", 0),
            "bad-dtype" => File8(ok.Replace("F32", "Q7"), 12),
            "size-mismatch" => File8(ok.Replace("[0,12]", "[0,8]"), 8),
            "truncated" => File8(ok, 5),
            "gap" => File8(ok.Replace("[0,12]", "[4,16]"), 16),
            "negative-shape" => File8(ok.Replace("[3]", "[-3]"), 12),
            "missing-offsets" => File8("{\"x\":{\"dtype\":\"F32\",\"shape\":[3]}}", 12),
            "trailing" => File8(ok, 20),
            "overflow" => File8(ok.Replace("[3]", "[1099511627776,1099511627776]"), 12),
            "offsets-not-numbers" => File8(ok.Replace("[0,12]", "[\"0\",\"12\"]"), 12),
            "duplicate" => File8(ok.Replace("}}", "},\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[12,24]}}"), 24),
            "binary-header" => [.. BitConverter.GetBytes(8UL), 0x1b, (byte)'[', (byte)'2', (byte)'J', 0, 0xff, 0xfe, 7],
            "control-name" => File8(ok.Replace("\"x\"", "\"\\u001b[2Jx\"").Replace("F32", "Q7"), 12),
            _ => throw new ArgumentException(kind),
        };
        var path = Write(content);
        var e = Should.Throw<SafeTensorsFormatException>(() => SafeTensors.Load(path));
        e.Message.ShouldContain(path);
        e.Message.ShouldContain(expected);
        // One line of text whatever the file holds: no raw control characters from it reach the terminal.
        e.Message.ShouldAllBe(c => !char.IsControl(c));
    }

    [Fact]
    public void A_folder_where_the_file_should_be_is_named_as_a_folder()
    {
        var p = Directory.CreateDirectory(Path.Combine(dir, "model.safetensors")).FullName;
        Should.Throw<IOException>(() => SafeTensors.Load(p)).Message.ShouldBe($"{p} is a directory; expected a safetensors file");
    }

    [Fact]
    public void A_foreign_file_loaded_into_a_module_or_optimizer_names_the_file()
    {
        using var g = new Generator(3);
        using var mlp = nn.MLP([4, 8, 2], Activation.Tanh, generator: g);
        using var adam = optim.Adam(mlp.parameters(), lr: 1e-3);
        var foreign = Path.Combine(dir, "bert.safetensors");
        using (var t = zeros([2])) SafeTensors.Save(foreign, new Dictionary<string, Tensor> { ["bert.embeddings.weight"] = t }, new Dictionary<string, string> { ["steps"] = "x" });
        Should.Throw<InvalidDataException>(() => mlp.load(foreign)).Message
            .ShouldBe($"{foreign}: state dict does not match {mlp.Name}: missing ['0.weight', '0.bias', '1.weight', '1.bias'], unexpected ['bert.embeddings.weight']");
        Should.Throw<InvalidDataException>(() => adam.load(foreign)).Message
            .ShouldBe($"{foreign}: optimizer state: expected 'optimizer' = 'adam', found none");
    }

    [Fact]
    public void Missing_file_is_a_FileNotFoundException_naming_it()
    {
        var p = Path.Combine(dir, "nope.safetensors");
        Should.Throw<FileNotFoundException>(() => SafeTensors.Load(p)).Message.ShouldContain(p);
    }

    [Fact]
    public void Module_save_and_load_restore_parameters_and_check_shapes()
    {
        using var g = new Generator(3);
        using var a = nn.MLP([4, 8, 2], Activation.Tanh, generator: g);
        using var b = nn.MLP([4, 8, 2], Activation.Tanh, generator: g);
        using var c = nn.MLP([4, 9, 2], Activation.Tanh, generator: g);
        var path = Path.Combine(dir, "mlp.safetensors");
        a.save(path);
        b.load(path);
        foreach (var ((n, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
            pb.data<float>().ShouldBe(pa.data<float>(), n);
        a.named_parameters().Select(p => p.name).ShouldBe(["0.weight", "0.bias", "1.weight", "1.bias"]);
        Should.Throw<InvalidDataException>(() => c.load(path)).Message.ShouldContain("expected shape [9, 4], found [8, 4]");
    }
}
