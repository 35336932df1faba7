using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static Zoo.Torch.torch;

namespace Zoo.Torch;

/// <summary>A safetensors file that is malformed, truncated or holds something we cannot read.</summary>
public sealed class SafeTensorsFormatException(string path, string problem)
    : IOException($"{path}: not a valid safetensors file: {problem}")
{
    public string Path { get; } = path;
}

/// <summary>
/// Named tensors in Hugging Face's safetensors format: an 8-byte little-endian header length, a JSON header
/// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then the raw
/// little-endian, row-major data. Readable by Python's safetensors. Writes are atomic (temp file, then rename).
/// </summary>
public static class SafeTensors
{
    private const long MaxHeaderBytes = 100L << 20;

    private static readonly Dictionary<ScalarType, string> DTypeNames = new()
    {
        [ScalarType.Float32] = "F32", [ScalarType.Float64] = "F64", [ScalarType.Float16] = "F16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16",
        [ScalarType.Int8] = "I8", [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    private static readonly Dictionary<string, ScalarType> DTypeByName = DTypeNames.ToDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>What <see cref="Load"/> returns: the tensors (owned: dispose the result) and the metadata.</summary>
    public sealed class File(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) : IDisposable
    {
        public Dictionary<string, Tensor> Tensors { get; } = tensors;
        public Dictionary<string, string> Metadata { get; } = metadata;

        public void Dispose()
        {
            foreach (var t in Tensors.Values) t.Dispose();
        }
    }

    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        // Names sorted so the same tensors always give the same bytes.
        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        var header = new MemoryStream();
        long offset = 0;
        var sizes = new long[names.Count];
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            for (int i = 0; i < names.Count; i++)
            {
                var t = tensors[names[i]];
                if (names[i] == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor");
                if (!DTypeNames.TryGetValue(t.dtype, out var dt)) throw new ArgumentException($"tensor '{names[i]}': dtype {t.dtype} cannot be saved");
                sizes[i] = t.numel() * ElementSize(t.dtype);
                w.WriteStartObject(names[i]);
                w.WriteString("dtype", dt);
                w.WriteStartArray("shape");
                foreach (var d in t.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + sizes[i]);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += sizes[i];
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data is aligned (as the reference writer does).
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var tmp = full + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
                fs.Write(len);
                header.Position = 0;
                header.CopyTo(fs);
                var buffer = Array.Empty<byte>();
                for (int i = 0; i < names.Count; i++)
                {
                    if (buffer.Length < sizes[i]) buffer = new byte[sizes[i]];
                    tensors[names[i]].CopyBytesTo(buffer.AsSpan(0, (int)sizes[i]));
                    fs.Write(buffer, 0, (int)sizes[i]);
                }
                fs.Flush(flushToDisk: true);
            }
            System.IO.File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { System.IO.File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>
    /// Reads a safetensors file. Anything wrong with it, however foreign or damaged the file, is a
    /// <see cref="SafeTensorsFormatException"/> naming the file and, where there is one, the tensor.
    /// </summary>
    public static File Load(string path)
    {
        InputFile.Require(path, "safetensors");
        var bytes = System.IO.File.ReadAllBytes(path);
        SafeTensorsFormatException Bad(string problem) => new(path, problem);
        if (bytes.Length < 8) throw Bad($"file is {bytes.Length} bytes, shorter than the 8-byte header length");
        var headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLen > (ulong)(bytes.Length - 8) || (long)headerLen > MaxHeaderBytes)
            throw Bad($"header length {headerLen} exceeds the {bytes.Length - 8} bytes that follow it (truncated or not safetensors)");
        var dataStart = 8 + (long)headerLen;
        var dataLen = bytes.Length - dataStart;

        JsonDocument doc;
        try { doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLen)); }
        catch (JsonException e)
        {
            // The parser's message can hold the offending byte raw; the position and a quoted excerpt say as much.
            var start = Encoding.UTF8.GetString(bytes, 8, (int)Math.Min(headerLen, Excerpt.MaxChars + 1));
            throw Bad($"header is not valid JSON (byte {e.BytePositionInLine + 1} of line {e.LineNumber + 1}; it starts {Excerpt.Quote(start)})");
        }

        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        var ranges = new List<(long Begin, long End, string Name)>();
        try
        {
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad("header is not a JSON object");
                foreach (var entry in doc.RootElement.EnumerateObject())
                {
                    if (entry.Name == "__metadata__")
                    {
                        if (entry.Value.ValueKind != JsonValueKind.Object) throw Bad("'__metadata__' is not an object");
                        foreach (var m in entry.Value.EnumerateObject())
                            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw Bad($"metadata {Name(m.Name)} is not a string");
                        continue;
                    }
                    var name = Name(entry.Name);
                    if (tensors.ContainsKey(entry.Name)) throw Bad($"tensor {name} appears twice in the header");
                    var (dtype, shape, begin, end) = ParseEntry(entry, Bad);
                    long bytesNeeded;
                    try
                    {
                        long numel = 1;
                        foreach (var d in shape) numel = checked(numel * d);
                        bytesNeeded = checked(numel * ElementSize(dtype));
                    }
                    catch (OverflowException)
                    {
                        throw Bad($"tensor {name}: {DTypeNames[dtype]} shape [{string.Join(", ", shape)}] needs more than {long.MaxValue} bytes");
                    }
                    if (end - begin != bytesNeeded)
                        throw Bad($"tensor {name}: data_offsets span {end - begin} bytes but {DTypeNames[dtype]} shape [{string.Join(", ", shape)}] needs {bytesNeeded}");
                    if (end > dataLen)
                        throw Bad($"tensor {name}: data ends at byte {end} but the file holds only {dataLen} data bytes (truncated)");
                    ranges.Add((begin, end, name));
                    try { tensors[entry.Name] = FromBytes(bytes.AsSpan((int)(dataStart + begin), (int)(end - begin)), shape, dtype).DetachFromDisposeScope(); }
                    catch (TorchException e) { throw Bad($"tensor {name}: {e.Message.Split('\n')[0]}"); }
                }
            }
            // The format requires the tensors to tile the data region with no gaps or overlaps.
            ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            long expect = 0;
            foreach (var r in ranges)
            {
                if (r.Begin != expect) throw Bad($"tensor {r.Name} starts at byte {r.Begin}, expected {expect} (gap or overlap in data_offsets)");
                expect = r.End;
            }
            if (expect != dataLen) throw Bad($"data region is {dataLen} bytes but the tensors cover {expect}");
            return new File(tensors, metadata);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    // A tensor's name as the file spells it, quoted (a foreign file's names can hold anything); long enough for real names.
    internal static string Name(string name) => Excerpt.Quote(name, maxChars: 120);

    private static (ScalarType, long[], long, long) ParseEntry(JsonProperty entry, Func<string, SafeTensorsFormatException> bad)
    {
        var v = entry.Value;
        var name = Name(entry.Name);
        if (v.ValueKind != JsonValueKind.Object) throw bad($"entry {name} is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw bad($"tensor {name}: missing string 'dtype'");
        if (!DTypeByName.TryGetValue(dt.GetString()!, out var dtype))
            throw bad($"tensor {name}: unsupported dtype {Excerpt.Quote(dt.GetString()!)} (expected one of {string.Join(", ", DTypeByName.Keys)})");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw bad($"tensor {name}: missing array 'shape'");
        var shape = new long[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var n) || n < 0)
                throw bad($"tensor {name}: shape entry {i} is not a non-negative integer");
            shape[i++] = n;
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw bad($"tensor {name}: missing 'data_offsets' [begin, end]");
        // TryGetInt64 throws on a non-number, so the kind is checked first.
        long begin = 0, end = 0;
        if (off[0].ValueKind != JsonValueKind.Number || off[1].ValueKind != JsonValueKind.Number
            || !off[0].TryGetInt64(out begin) || !off[1].TryGetInt64(out end) || begin < 0 || end < begin)
            throw bad($"tensor {name}: data_offsets must be integers with 0 <= begin <= end");
        return (dtype, shape, begin, end);
    }
}
