using System.Buffers.Binary;
using System.IO.Compression;
using Zoo.Torch;

namespace Zoo.Core.Data;

/// <summary>A file that is not a valid IDX array, or does not hold what the caller expects.</summary>
public sealed class IdxFormatException(string path, string problem) : IOException($"{path}: {problem}")
{
    public string Path { get; } = path;
}

/// <summary>An unsigned-byte IDX array (the MNIST format): its dimensions and its row-major data (a view past the header, not a copy).</summary>
public sealed record IdxArray(int[] Dims, ReadOnlyMemory<byte> Data)
{
    public int Count => Dims[0];
}

/// <summary>
/// Reads IDX files (LeCun's MNIST format), raw or gzip-compressed: two zero bytes, a type code (0x08 = unsigned
/// byte), the number of dimensions, each dimension as a big-endian int32, then the data.
/// </summary>
public static class Idx
{
    public static IdxArray Read(string path)
    {
        InputFile.Require(path, "IDX");
        byte[] bytes;
        try { bytes = Decompress(File.ReadAllBytes(path)); }
        catch (InvalidDataException e) { throw new IdxFormatException(path, $"corrupt gzip stream ({e.Message})"); }
        if (bytes.Length < 4) throw new IdxFormatException(path, $"only {bytes.Length} bytes, shorter than the 4-byte IDX magic number");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new IdxFormatException(path, $"bad magic number 0x{bytes[0]:x2}{bytes[1]:x2}{bytes[2]:x2}{bytes[3]:x2}: an IDX file starts with two zero bytes");
        if (bytes[2] != 0x08) throw new IdxFormatException(path, $"element type 0x{bytes[2]:x2} is not supported (expected 0x08, unsigned byte)");
        int ndim = bytes[3];
        if (ndim < 1) throw new IdxFormatException(path, "zero dimensions");
        if (bytes.Length < 4 + 4 * ndim) throw new IdxFormatException(path, $"truncated header: {ndim} dimensions need {4 + 4 * ndim} bytes, file has {bytes.Length}");
        var dims = new int[ndim];
        long count = 1;
        for (int i = 0; i < ndim; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new IdxFormatException(path, $"dimension {i} is negative ({dims[i]})");
            count *= dims[i];
        }
        long offset = 4 + 4 * ndim;
        long have = bytes.Length - offset;
        if (have < count)
            throw new IdxFormatException(path, $"truncated: dimensions [{string.Join(", ", dims)}] need {count} data bytes, file has {have}");
        if (have > count)
            throw new IdxFormatException(path, $"{have - count} unexpected bytes after the {count} data bytes of dimensions [{string.Join(", ", dims)}]");
        return new IdxArray(dims, bytes.AsMemory((int)offset));
    }

    private static byte[] Decompress(byte[] bytes)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var outStream = new MemoryStream();
        gz.CopyTo(outStream);
        // GZipStream stops quietly at a truncated stream; the trailer's ISIZE (length mod 2^32) catches that.
        var isize = bytes.Length >= 18 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)) : uint.MaxValue;
        if (isize != (uint)outStream.Length)
            throw new InvalidDataException($"decompressed {outStream.Length} bytes but the gzip trailer says {isize}: truncated or damaged");
        return outStream.ToArray();
    }
}
