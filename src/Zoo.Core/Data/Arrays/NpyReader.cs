using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Zoo.Torch;

namespace Zoo.Core.Data.Arrays;

/// <summary>
/// Reads NumPy .npy files (format versions 1.0, 2.0 and 3.0) into float32 values in C order, from a stream and
/// without loading the file whole: float32 data is read straight into the result array, other types a megabyte at a
/// time. Integer values beyond ±2^24 are refused, since float32 would silently change them.
/// </summary>
public static class NpyReader
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
    private const int MaxHeaderBytes = 1 << 20;
    private const int ChunkBytes = 1 << 20;
    private const long MaxExactInteger = 1 << 24;

    public static NumericArray Read(string path)
    {
        using var file = Open(path);
        return Read(file, path, length: null);
    }

    /// <summary>Reads one array from <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    public static NumericArray Read(Stream stream, string source) => Read(stream, source, length: null);

    /// <summary>Only the header: the dtype, order and shape, without reading the data.</summary>
    public static NpyHeader ReadHeader(string path)
    {
        using var file = Open(path);
        return ReadHeader(file, path);
    }

    public static NpyHeader ReadHeader(Stream stream, string source)
    {
        Span<byte> pre = stackalloc byte[12];
        int got = stream.ReadAtLeast(pre[..8], 8, throwOnEndOfStream: false);
        if (got < 6 || !pre[..6].SequenceEqual(Magic))
        {
            string start = got == 0 ? "the file is empty" : $"it starts with {Convert.ToHexString(pre[..got]).ToLowerInvariant()}";
            string hint = got >= 2 && pre[0] == (byte)'P' && pre[1] == (byte)'K' ? "; it looks like a zip archive (.npz): read it with NpzReader" : "";
            throw new ArrayFormatException(source, $"bad magic: not a NumPy .npy file ({start}, not \\x93NUMPY){hint}");
        }
        if (got < 8) throw new ArrayFormatException(source, $"truncated header: only {got} bytes");
        int major = pre[6], minor = pre[7];
        int lengthBytes = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new ArrayFormatException(source, $"unsupported .npy format version {major}.{minor} (expected 1.0, 2.0 or 3.0)"),
        };
        got = stream.ReadAtLeast(pre.Slice(8, lengthBytes), lengthBytes, throwOnEndOfStream: false);
        if (got < lengthBytes) throw new ArrayFormatException(source, "truncated header: the file ends inside the header length");
        long headerBytes = lengthBytes == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(pre[8..]);
        if (headerBytes > MaxHeaderBytes)
            throw new ArrayFormatException(source, $"header length {headerBytes} bytes is implausible (more than {MaxHeaderBytes}); the file is damaged");
        var header = new byte[headerBytes];
        got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length)
            throw new ArrayFormatException(source, $"truncated header: the preamble promises {headerBytes} header bytes, the file holds {got}");
        // Version 3.0 exists only to allow UTF-8 field names; 1.0 and 2.0 headers are Latin-1.
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        return NpyHeader.Parse(text, major, minor, 8 + lengthBytes + headerBytes, source);
    }

    /// <summary>
    /// <paramref name="length"/> is the stream's total length when known but not seekable (an archive member), so
    /// bytes after the data are still noticed without reading them.
    /// </summary>
    internal static NumericArray Read(Stream stream, string source, long? length)
    {
        var header = ReadHeader(stream, source);
        var type = NpyDType.Supported(header.DType, source);
        var values = new float[header.Count];
        long dataBytes = values.Length * (long)type.Size;
        if (type is { Kind: 'f', Size: 4 }) ReadFloat32(stream, values, type, header, source);
        else ReadConverted(stream, values, type, header, source);

        long extra = length is long total ? total - header.DataOffset - dataBytes
            : stream.CanSeek ? stream.Length - stream.Position
            : Drain(stream);
        if (extra > 0)
            throw new ArrayFormatException(source, $"{extra} unexpected bytes after the {dataBytes} data bytes the header promises ({Describe(header, type)})");

        return new NumericArray(header.Shape, header.FortranOrder ? FortranToC(values, header.Shape) : values, header.DType);
    }

    private static FileStream Open(string path) =>
        new(InputFile.Require(path, "NumPy .npy"), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);

    private static void ReadFloat32(Stream stream, float[] values, NpyDType type, NpyHeader header, string source)
    {
        bool swap = type.BigEndian == BitConverter.IsLittleEndian;
        for (int done = 0; done < values.Length;)
        {
            var dst = values.AsSpan(done, Math.Min(ChunkBytes / 4, values.Length - done));
            var bytes = MemoryMarshal.AsBytes(dst);
            int got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (got < bytes.Length) throw Truncated(header, type, 4L * done + got, source);
            if (swap) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(dst), MemoryMarshal.Cast<float, int>(dst));
            done += dst.Length;
        }
    }

    private static void ReadConverted(Stream stream, float[] values, NpyDType type, NpyHeader header, string source)
    {
        var buffer = new byte[(int)Math.Min(ChunkBytes, Math.Max(1L, values.Length * (long)type.Size))];
        for (int done = 0; done < values.Length;)
        {
            int n = Math.Min(buffer.Length / type.Size, values.Length - done);
            var src = buffer.AsSpan(0, n * type.Size);
            int got = stream.ReadAtLeast(src, src.Length, throwOnEndOfStream: false);
            if (got < src.Length) throw Truncated(header, type, (long)type.Size * done + got, source);
            ToFloat(src, values.AsSpan(done, n), type, done, source);
            done += n;
        }
    }

    /// <summary>Element type → float32 for one chunk; <paramref name="first"/> is the chunk's first element index, for errors.</summary>
    private static void ToFloat(ReadOnlySpan<byte> src, Span<float> dst, NpyDType t, long first, string source)
    {
        bool be = t.BigEndian;
        switch (t.Kind, t.Size)
        {
            case ('u', 1):
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
                break;
            case ('i', 1):
                for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)src[i];
                break;
            case ('b', 1):
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i] != 0 ? 1f : 0f;
                break;
            case ('f', 2):
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = (float)(be ? BinaryPrimitives.ReadHalfBigEndian(src[(2 * i)..]) : BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]));
                break;
            case ('f', 8):
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = (float)(be ? BinaryPrimitives.ReadDoubleBigEndian(src[(8 * i)..]) : BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]));
                break;
            case ('i', 2):
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = be ? BinaryPrimitives.ReadInt16BigEndian(src[(2 * i)..]) : BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]);
                break;
            case ('u', 2):
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = be ? BinaryPrimitives.ReadUInt16BigEndian(src[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]);
                break;
            case ('i', 4):
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = Exact(be ? BinaryPrimitives.ReadInt32BigEndian(src[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]), first + i, t, source);
                break;
            case ('u', 4):
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = Exact(be ? BinaryPrimitives.ReadUInt32BigEndian(src[(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(src[(4 * i)..]), first + i, t, source);
                break;
            case ('i', 8):
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = Exact(be ? BinaryPrimitives.ReadInt64BigEndian(src[(8 * i)..]) : BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]), first + i, t, source);
                break;
            case ('u', 8):
                for (int i = 0; i < dst.Length; i++)
                {
                    ulong v = be ? BinaryPrimitives.ReadUInt64BigEndian(src[(8 * i)..]) : BinaryPrimitives.ReadUInt64LittleEndian(src[(8 * i)..]);
                    dst[i] = v <= MaxExactInteger ? v : throw Inexact(v.ToString(), first + i, t, source);
                }
                break;
            default:
                throw new ArrayFormatException(source, $"unsupported dtype {Excerpt.Quote(t.Descr)}");
        }
    }

    private static float Exact(long v, long index, NpyDType t, string source) =>
        v is >= -MaxExactInteger and <= MaxExactInteger ? v : throw Inexact(v.ToString(), index, t, source);

    private static ArrayFormatException Inexact(string v, long index, NpyDType t, string source) => new(source,
        $"{t.Name} element {index} is {v}, beyond ±{MaxExactInteger}, the integers float32 holds exactly");

    private static ArrayFormatException Truncated(NpyHeader h, NpyDType t, long have, string source) => new(source,
        $"truncated: header promises {Describe(h, t)} ({h.Count * t.Size} bytes), the file holds {have} after the header");

    private static string Describe(NpyHeader h, NpyDType t) =>
        h.Shape.Length == 0 ? $"one {t.Name} value" : $"{NumericArray.FormatShape(h.Shape)} {t.Name} values";

    private static long Drain(Stream stream)
    {
        var buffer = new byte[1 << 16];
        long n = 0;
        for (int got; (got = stream.Read(buffer)) > 0;) n += got;
        return n;
    }

    /// <summary>Fortran order stores the first index fastest; reorder so the last index is fastest.</summary>
    private static float[] FortranToC(float[] src, int[] shape)
    {
        int nd = shape.Length;
        if (nd < 2 || src.Length == 0) return src;
        var dst = new float[src.Length];
        if (nd == 2)
        {
            // Blocked, so that neither side strides through memory a whole column at a time.
            int rows = shape[0], cols = shape[1];
            const int B = 64;
            for (int ib = 0; ib < rows; ib += B)
            for (int jb = 0; jb < cols; jb += B)
            for (int i = ib, iEnd = Math.Min(ib + B, rows); i < iEnd; i++)
            for (int j = jb, jEnd = Math.Min(jb + B, cols); j < jEnd; j++)
                dst[i * cols + j] = src[i + j * rows];
            return dst;
        }
        var stride = new int[nd];
        stride[0] = 1;
        for (int k = 1; k < nd; k++) stride[k] = stride[k - 1] * shape[k - 1];
        var index = new int[nd - 1];
        int last = shape[nd - 1], lastStride = stride[nd - 1], o = 0, start = 0;
        while (true)
        {
            for (int j = 0, p = start; j < last; j++, p += lastStride) dst[o++] = src[p];
            int k = nd - 2;
            for (; k >= 0; k--)
            {
                start += stride[k];
                if (++index[k] < shape[k]) break;
                start -= stride[k] * shape[k];
                index[k] = 0;
            }
            if (k < 0) return dst;
        }
    }
}
