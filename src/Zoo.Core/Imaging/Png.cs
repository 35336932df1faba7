using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Zoo.Core.Imaging;

/// <summary>
/// An RGB image and a minimal PNG encoder (8-bit RGB, zlib from System.IO.Compression). Hand-written because no
/// image library restores from this project's registry; kept to what the zoo's pictures need.
/// </summary>
public sealed class RgbImage(int width, int height)
{
    public int Width { get; } = width;
    public int Height { get; } = height;
    private readonly byte[] pixels = new byte[width * height * 3];

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        var i = (y * Width + x) * 3;
        (pixels[i], pixels[i + 1], pixels[i + 2]) = c;
    }

    public (byte R, byte G, byte B) Get(int x, int y)
    {
        var i = (y * Width + x) * 3;
        return (pixels[i], pixels[i + 1], pixels[i + 2]);
    }

    public void Fill((byte, byte, byte) c)
    {
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++) Set(x, y, c);
    }

    /// <summary>Writes the image as PNG, atomically (temp file, then rename).</summary>
    public void Save(string path)
    {
        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            for (int y = 0; y < Height; y++)
            {
                z.WriteByte(0);  // filter: none
                z.Write(pixels, y * Width * 3, Width * 3);
            }
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), Height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: RGB
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        Zoo.Core.AtomicFile.WriteAllBytes(path, png.ToArray());
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = Crc32(Crc32(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    private static uint Crc32(uint crc, byte[] data)
    {
        foreach (var b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}
