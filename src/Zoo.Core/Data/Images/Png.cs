using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Zoo.Core.Data.Arrays;
using Zoo.Torch;

namespace Zoo.Core.Data.Images;

/// <summary>A decoded 8-bit image: height × width × channels bytes, row-major, channels interleaved (1 grey, 3 RGB).</summary>
public sealed record PngImage(int Height, int Width, int Channels, byte[] Pixels);

/// <summary>
/// A small PNG decoder (no imaging library restores here): 8-bit greyscale or RGB, not interlaced, every filter type,
/// chunk CRCs checked. Anything else (palette, alpha, 16-bit, Adam7) is refused in one line naming the file, as is a
/// damaged file. zlib is .NET's own.
/// </summary>
public static class Png
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private const long MaxPixels = 1L << 28;

    public static PngImage Read(string path)
    {
        InputFile.Require(path, "PNG");
        return Decode(File.ReadAllBytes(path), path);
    }

    public static PngImage Decode(byte[] b, string source)
    {
        if (b.Length < 8 || !b.AsSpan(0, 8).SequenceEqual(Signature))
            throw new ArrayFormatException(source, $"not a PNG file (it starts with {Excerpt.Quote(Encoding.Latin1.GetString(b, 0, Math.Min(8, b.Length)))})");
        int width = 0, height = 0, channels = 0;
        bool sawHeader = false, sawEnd = false;
        using var compressed = new MemoryStream();
        for (int at = 8; !sawEnd;)
        {
            if (at + 12 > b.Length) throw new ArrayFormatException(source, $"truncated: the file ends at byte {b.Length} before its IEND chunk");
            long length = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
            if (at + 12 + length > b.Length)
                throw new ArrayFormatException(source, $"truncated: a chunk at byte {at} says {length} bytes, but only {b.Length - at - 12} follow");
            var type = Encoding.ASCII.GetString(b, at + 4, 4);
            var data = b.AsSpan(at + 8, (int)length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at + 8 + (int)length));
            if (Crc32(b.AsSpan(at + 4, 4 + (int)length)) != crc)
                throw new ArrayFormatException(source, $"damaged: the {Excerpt.Quote(type)} chunk at byte {at} fails its CRC");
            switch (type)
            {
                case "IHDR":
                    if (length != 13) throw new ArrayFormatException(source, $"IHDR of {length} bytes, expected 13");
                    width = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data), int.MaxValue);
                    height = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data[4..]), int.MaxValue);
                    int depth = data[8], color = data[9], interlace = data[12];
                    channels = color switch
                    {
                        0 => 1,
                        2 => 3,
                        3 => throw Unsupported(source, "a palette image"),
                        4 => throw Unsupported(source, "greyscale with alpha"),
                        6 => throw Unsupported(source, "RGB with alpha"),
                        _ => throw new ArrayFormatException(source, $"colour type {color} is not one PNG defines"),
                    };
                    if (depth != 8) throw Unsupported(source, $"{depth}-bit samples");
                    if (interlace != 0) throw Unsupported(source, "an interlaced (Adam7) image");
                    if (width == 0 || height == 0 || (long)width * height > MaxPixels)
                        throw new ArrayFormatException(source, $"{width}×{height} pixels: expected 1 to {MaxPixels} pixels");
                    sawHeader = true;
                    break;
                case "IDAT":
                    if (!sawHeader) throw new ArrayFormatException(source, "image data before the IHDR chunk");
                    compressed.Write(data);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
            }
            at += 12 + (int)length;
        }
        if (!sawHeader) throw new ArrayFormatException(source, "no IHDR chunk");
        return new PngImage(height, width, channels, Unfilter(Inflate(compressed, source, (long)height * (1 + (long)width * channels)), height, width, channels, source));
    }

    private static ArrayFormatException Unsupported(string source, string what) =>
        new(source, $"{what}: only 8-bit greyscale or RGB PNGs without interlacing are read");

    private static byte[] Inflate(MemoryStream compressed, string source, long expected)
    {
        compressed.Position = 0;
        var raw = new byte[expected];
        try
        {
            using var z = new ZLibStream(compressed, CompressionMode.Decompress);
            int got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            if (got < raw.Length) throw new ArrayFormatException(source, $"truncated image data: {got} of {raw.Length} bytes after decompression");
        }
        catch (InvalidDataException e)
        {
            throw new ArrayFormatException(source, $"the image data does not decompress: {e.Message}");
        }
        return raw;
    }

    /// <summary>Undoes the per-row filters (None, Sub, Up, Average, Paeth) in place of a copy: height × width × channels bytes.</summary>
    private static byte[] Unfilter(byte[] raw, int height, int width, int bpp, string source)
    {
        int stride = width * bpp;
        var pixels = new byte[(long)height * stride];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[(long)y * (stride + 1)];
            var line = raw.AsSpan((int)((long)y * (stride + 1) + 1), stride);
            var row = pixels.AsSpan(y * stride, stride);
            var up = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : new byte[stride];
            for (int x = 0; x < stride; x++)
            {
                int a = x >= bpp ? row[x - bpp] : 0, c = x >= bpp ? up[x - bpp] : 0, u = up[x];
                row[x] = (byte)(line[x] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => u,
                    3 => (a + u) / 2,
                    4 => Paeth(a, u, c),
                    _ => throw new ArrayFormatException(source, $"row {y} has filter type {filter}; PNG defines 0 to 4"),
                });
            }
        }
        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var v in bytes) c = CrcTable[(c ^ v) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
