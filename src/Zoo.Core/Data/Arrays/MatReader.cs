using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Zoo.Torch;

namespace Zoo.Core.Data.Arrays;

/// <summary>
/// Reads numeric matrices from MATLAB's Level 5 MAT-files (what MATLAB writes by default up to v7, and what SciPy's
/// savemat writes), uncompressed or zlib-compressed, either byte order. Only real, full (not sparse) numeric arrays
/// are read: doubles, singles and integers of any width, as float32 in row-major (C) order with MATLAB's dimensions.
/// Cells, structs, strings, sparse and complex arrays are skipped while listing and refused by name. Integers beyond
/// ±2^24 are refused, since float32 would silently change them.
/// </summary>
public static class MatReader
{
    private const int HeaderBytes = 128;
    private static ReadOnlySpan<byte> Hdf5Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];
    private const long MaxExactInteger = 1 << 24;

    // Data types of the elements (MATLAB's "miXXX" codes) and array classes ("mxXXX_CLASS").
    private const int MiInt8 = 1, MiUInt8 = 2, MiInt16 = 3, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiSingle = 7, MiDouble = 9,
        MiInt64 = 12, MiUInt64 = 13, MiMatrix = 14, MiCompressed = 15;

    private static readonly Dictionary<int, string> NumericClasses = new()
    {
        [6] = "<f8", [7] = "<f4", [8] = "|i1", [9] = "|u1", [10] = "<i2", [11] = "<u2", [12] = "<i4", [13] = "<u4", [14] = "<i8", [15] = "<u8",
    };

    private static readonly Dictionary<int, string> ClassNames = new()
    {
        [1] = "cell", [2] = "struct", [3] = "object", [4] = "char", [5] = "sparse", [6] = "double", [7] = "single", [8] = "int8",
        [9] = "uint8", [10] = "int16", [11] = "uint16", [12] = "int32", [13] = "uint32", [14] = "int64", [15] = "uint64",
    };

    /// <summary>The variable <paramref name="name"/> of the MAT-file at <paramref name="path"/>.</summary>
    public static NumericArray Read(string path, string name)
    {
        var found = new List<string>();
        foreach (var (variable, element, bigEndian) in Variables(path))
        {
            found.Add(variable);
            if (variable == name) return Matrix(path, name, element, bigEndian);
        }
        var near = Configuration.ConfigText.Nearest(name, found);
        throw new ArrayFormatException(path, $"no variable {Excerpt.Quote(name)}" + (near is null ? "" : $"; did you mean '{near}'?") +
                                             $" (it holds {(found.Count == 0 ? "none" : string.Join(", ", found.Select(v => Excerpt.Quote(v))))})");
    }

    /// <summary>The names of the file's variables, in file order.</summary>
    public static IReadOnlyList<string> Names(string path) => Variables(path).Select(v => v.Name).ToList();

    /// <summary>Each top-level variable: its name and its miMATRIX element's body (decompressed where it was compressed).</summary>
    private static IEnumerable<(string Name, byte[] Element, bool BigEndian)> Variables(string path)
    {
        InputFile.Require(path, "Level 5 MAT");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes)
            throw new ArrayFormatException(path, $"not a MATLAB 5 MAT-file: {bytes.Length} bytes, shorter than the 128-byte header");
        if (Encoding.ASCII.GetString(bytes, 0, 6) != "MATLAB")
            throw new ArrayFormatException(path, $"not a MATLAB 5 MAT-file: it starts with {Excerpt.Quote(Encoding.Latin1.GetString(bytes, 0, 10))}" +
                                                 (bytes.AsSpan(0, 8).SequenceEqual(Hdf5Signature) ? " (an HDF5 file: MATLAB's v7.3 format, not read here; save with -v7)" : ""));
        bool bigEndian = (bytes[126], bytes[127]) switch
        {
            ((byte)'I', (byte)'M') => false,
            ((byte)'M', (byte)'I') => true,
            _ => throw new ArrayFormatException(path, "not a MATLAB 5 MAT-file: no endian indicator ('IM' or 'MI') at byte 126"),
        };
        int at = HeaderBytes;
        while (at < bytes.Length)
        {
            var (type, size, dataAt, next) = Tag(path, bytes, at, bigEndian);
            byte[] element;
            if (type == MiCompressed)
            {
                var inflated = Inflate(path, bytes, dataAt, size);
                var (innerType, innerSize, innerAt, _) = Tag(path, inflated, 0, bigEndian);
                if (innerType != MiMatrix) { at = next; continue; }
                element = inflated.AsSpan(innerAt, (int)innerSize).ToArray();
            }
            else if (type == MiMatrix) element = bytes.AsSpan(dataAt, (int)size).ToArray();
            else { at = next; continue; }
            at = next;
            if (element.Length == 0) continue; // an empty matrix element: no name, nothing to read
            yield return (Name(path, element, bigEndian), element, bigEndian);
        }
    }

    /// <summary>
    /// An element's tag at <paramref name="at"/>: type, byte count, where its data starts and where the next element
    /// starts (data padded to 8 bytes; a small element packs type, size and up to 4 bytes of data in 8 bytes).
    /// </summary>
    private static (int Type, long Size, int DataAt, int Next) Tag(string path, byte[] b, int at, bool bigEndian)
    {
        if (at + 8 > b.Length) throw new ArrayFormatException(path, $"truncated: an element's tag at byte {at} runs past the end ({b.Length} bytes)");
        uint first = U32(b, at, bigEndian);
        if (first >> 16 != 0) // small data element
            return ((int)(first & 0xFFFF), first >> 16, at + 4, at + 8);
        long size = U32(b, at + 4, bigEndian);
        long end = at + 8 + size;
        if (end > b.Length)
            throw new ArrayFormatException(path, $"truncated: an element at byte {at} says {size} bytes, but only {b.Length - at - 8} follow");
        int type = (int)first;
        long next = type == MiCompressed ? end : at + 8 + (size + 7) / 8 * 8;
        return (type, size, at + 8, (int)Math.Min(next, b.Length));
    }

    private static byte[] Inflate(string path, byte[] b, int at, long size)
    {
        try
        {
            using var z = new ZLibStream(new MemoryStream(b, at, (int)size), CompressionMode.Decompress);
            using var o = new MemoryStream();
            z.CopyTo(o);
            return o.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new ArrayFormatException(path, $"a compressed variable at byte {at - 8} does not decompress: {e.Message}");
        }
    }

    private static string Name(string path, byte[] e, bool bigEndian)
    {
        var (_, _, _, afterFlags) = Tag(path, e, 0, bigEndian);
        var (_, _, _, afterDims) = Tag(path, e, afterFlags, bigEndian);
        var (_, nameSize, nameAt, _) = Tag(path, e, afterDims, bigEndian);
        return Encoding.ASCII.GetString(e, nameAt, (int)nameSize);
    }

    /// <summary>A miMATRIX body as a real numeric array: flags, dimensions, name, real part (MATLAB stores it column-major).</summary>
    private static NumericArray Matrix(string path, string name, byte[] e, bool bigEndian)
    {
        var source = $"{path}[{name}]";
        var (_, _, flagsAt, afterFlags) = Tag(path, e, 0, bigEndian);
        uint flags = U32(e, flagsAt, bigEndian);
        int cls = (int)(flags & 0xFF);
        bool complex = (flags & 0x0800) != 0, logical = (flags & 0x0200) != 0;
        if (!NumericClasses.TryGetValue(cls, out var dtype) || complex)
            throw new ArrayFormatException(source, $"expected a real numeric matrix, found {(complex ? "a complex " : "a ")}" +
                                                   $"{ClassNames.GetValueOrDefault(cls, $"class {cls}")} array");
        if (logical) dtype = "|b1";
        var (dimsType, dimsSize, dimsAt, afterDims) = Tag(path, e, afterFlags, bigEndian);
        if (dimsType != MiInt32) throw new ArrayFormatException(source, $"dimensions stored as type {dimsType}, expected miINT32");
        var dims = new int[dimsSize / 4];
        for (int i = 0; i < dims.Length; i++) dims[i] = (int)U32(e, dimsAt + 4 * i, bigEndian);
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArrayFormatException(source, $"negative dimension in {string.Join("×", dims)}");
            count *= d;
            if (count > int.MaxValue) throw new ArrayFormatException(source, $"{string.Join("×", dims)} values are more than one array holds");
        }
        var (_, _, _, afterName) = Tag(path, e, afterDims, bigEndian);
        var (realType, realSize, realAt, _) = Tag(path, e, afterName, bigEndian);
        int width = realType switch
        {
            MiInt8 or MiUInt8 => 1, MiInt16 or MiUInt16 => 2, MiInt32 or MiUInt32 or MiSingle => 4, MiDouble or MiInt64 or MiUInt64 => 8,
            _ => throw new ArrayFormatException(source, $"values stored as type {realType}, not a numeric type"),
        };
        if (realSize != count * width)
            throw new ArrayFormatException(source, $"{string.Join("×", dims)} needs {count * width} bytes of values, found {realSize}");
        // Column-major (MATLAB) to row-major (C) order, so that row i of a 2-D matrix is example i.
        var values = new float[count];
        var colMajorStride = new long[dims.Length];
        long stride = 1;
        for (int k = 0; k < dims.Length; k++) { colMajorStride[k] = stride; stride *= dims[k]; }
        var index = new int[dims.Length];
        for (long c = 0; c < count; c++)
        {
            long from = 0;
            for (int k = 0; k < dims.Length; k++) from += index[k] * colMajorStride[k];
            double v = Value(e, realAt + (int)(from * width), realType, bigEndian);
            if (realType is MiInt32 or MiUInt32 or MiInt64 or MiUInt64 && Math.Abs(v) > MaxExactInteger)
                throw new ArrayFormatException(source, $"integer {v} is beyond ±2^24, which float32 cannot hold exactly");
            values[c] = (float)v;
            for (int k = dims.Length - 1; k >= 0 && ++index[k] == dims[k]; k--) index[k] = 0; // row-major odometer
        }
        return new NumericArray(dims, values, dtype);
    }

    private static double Value(byte[] b, int at, int type, bool bigEndian)
    {
        var s = b.AsSpan(at);
        return type switch
        {
            MiInt8 => (sbyte)b[at],
            MiUInt8 => b[at],
            MiInt16 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s),
            MiUInt16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
            MiInt32 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s),
            MiUInt32 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s),
            MiSingle => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s),
            MiDouble => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s),
            MiInt64 => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(s) : BinaryPrimitives.ReadInt64LittleEndian(s),
            _ => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s),
        };
    }

    private static uint U32(byte[] b, int at, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
}
