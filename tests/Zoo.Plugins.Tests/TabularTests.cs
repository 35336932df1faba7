using Zoo.Core.Data.Tabular;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Plugins.Data.Tables;

namespace Zoo.Plugins.Tests;

/// <summary>The ARFF and CSV readers and the packing of a table into model rows.</summary>
public class TabularTests
{
    private static string Write(string name, string text)
    {
        var path = Path.Combine(Zoo.TempDir(), name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Arff = """
        % a comment
        @relation tiny
        @attribute colour {red, 'dark blue'}
        @attribute age numeric
        @attribute income REAL
        @attribute class {good, bad}
        @data
        red,20,1.5,good
        'dark blue',30,?,bad
        red,40,3.5,good
        'dark blue',50,4.5,bad
        red,60,5.5,good
        ?,22,6.5,bad
        """;

    [Fact]
    public void Arff_rows_become_one_hot_nominals_standardised_numerics_and_packed_s_y_and_labelled_flags()
    {
        var path = Write("tiny.arff", Arff);
        using var t = TabularData.Load(path, new TabularOptions("class", "age", 25, 0.34, Seed: 1, Labels: 0));
        var l = t.Layout;
        (l.BinaryFeatures, l.ContinuousFeatures, l.SensitiveGroups, l.Classes, l.Width).ShouldBe((2, 1, 2, 2, 8));
        l.SensitiveNames.ShouldBe(["age<=25", "age>25"]);
        l.ClassNames.ShouldBe(["good", "bad"]);
        (t.TrainLabels.Length, t.TestLabels.Length).ShouldBe((4, 2));
        var train = t.Train.data<float>();
        for (int r = 0; r < 4; r++)
        {
            var row = train.AsSpan(r * 8, 8).ToArray();
            (row[0] + row[1]).ShouldBeLessThanOrEqualTo(1f);          // one-hot colour (all zero when missing)
            (row[3] + row[4]).ShouldBe(1f);                          // one-hot s
            row[3 + 1].ShouldBe(t.TrainSensitive[r] == 1 ? 1f : 0f);
            row[5 + t.TrainLabels[r]].ShouldBe(1f);                  // one-hot y
            row[7].ShouldBe(1f);                                     // labelled
        }
        // income is standardised on the training rows that have it (the missing one becomes 0, the mean).
        var income = Enumerable.Range(0, 4).Select(r => (double)train[r * 8 + 2]).ToList();
        income.Where(v => v != 0).Count().ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public void Labels_keeps_that_many_training_labels_spread_over_classes_and_test_rows_stay_labelled()
    {
        var path = Write("tiny.arff", Arff);
        using var t = TabularData.Load(path, new TabularOptions("class", "age", 35, 0.34, Seed: 1, Labels: 2));
        var w = t.Layout.Width;
        var flags = Enumerable.Range(0, 4).Select(r => t.Train.data<float>()[r * w + w - 1]).ToList();
        flags.Sum().ShouldBe(2f);
        Enumerable.Range(0, 4).Where(r => flags[r] == 1).Select(r => t.TrainLabels[r]).Distinct().Count().ShouldBe(2);
        Enumerable.Range(0, 2).All(r => t.Test.data<float>()[r * w + w - 1] == 1).ShouldBeTrue();
        t.Layout.SensitiveNames.ShouldBe(["age<=35", "age>35"]);
    }

    [Fact]
    public void Csv_with_a_header_infers_numeric_and_nominal_columns()
    {
        var path = Write("tiny.csv", "colour,age,class\nred,20,yes\n\"dark, blue\",31,no\nred,45,yes\ngreen,52,no\n");
        var table = Table.Read(path);
        table.Columns.Select(c => (c.Name, c.IsNumeric)).ShouldBe([("colour", false), ("age", true), ("class", false)]);
        table.Columns[0].Values.ShouldBe(["dark, blue", "green", "red"]);
    }

    [Theory]
    [InlineData("@attribute a numeric\n@data\n1,2\n", "bad.arff:3: expected 1 values, found 2")]
    [InlineData("@attribute a {x, y}\n@data\nz\n", "bad.arff:3: column 'a' expects one of {'x', 'y'}, found 'z'")]
    [InlineData("@attribute a numeric\n@data\nabc\n", "bad.arff:3: column 'a' is numeric, found 'abc'")]
    [InlineData("@attribute a string\n@data\n", "bad.arff:1: attribute 'a' has type 'string'; expected numeric, real, integer or {values}")]
    [InlineData("@attribute a numeric\n", "bad.arff: no @data section")]
    [InlineData("@attribute a {x, y}\n@data\n'x\n", "bad.arff:3: unterminated ' quote")]
    public void Malformed_arff_files_fail_with_the_file_line_and_problem(string text, string message)
    {
        var path = Write("bad.arff", text);
        Should.Throw<InvalidDataException>(() => Table.Read(path)).Message.ShouldBe(Path.Combine(Path.GetDirectoryName(path)!, message));
    }

    [Fact]
    public void Unknown_columns_are_named_with_the_ones_that_exist()
    {
        var path = Write("tiny.arff", Arff);
        Should.Throw<InvalidDataException>(() => TabularData.Load(path, new TabularOptions("label", "age", 25, 0.3, 0, 0)))
            .Message.ShouldBe($"{path}: no column 'label'; columns are 'colour', 'age', 'income', 'class'");
        Should.Throw<InvalidDataException>(() => TabularData.Load(path, new TabularOptions("age", "colour", 25, 0.3, 0, 0)))
            .Message.ShouldBe($"{path}: label column 'age' is numeric; expected a nominal column");
    }

    [Fact]
    public void German_credit_from_debians_weka_package_loads_as_700_training_and_300_test_rows()
    {
        using var t = TabularData.Load(CreditGData.FilePath(), new TabularOptions("class", "age", 25, 0.3, 0, 0));
        (t.TrainLabels.Length, t.TestLabels.Length).ShouldBe((700, 300));
        (t.Layout.BinaryFeatures, t.Layout.ContinuousFeatures, t.Layout.Classes, t.Layout.SensitiveGroups).ShouldBe((56, 6, 2, 2));
        // About 19% of applicants are 25 or younger.
        (t.TrainSensitive.Count(s => s == 0) / 700.0).ShouldBeInRange(0.14, 0.24);
    }
}

/// <summary>Images as VFAE rows (seed 000's MNIST with the last pixels as s) and the oversampling of few labels.</summary>
public class ImageRowTests
{
    [Fact]
    public void Image_rows_keep_the_picture_in_front_take_the_last_pixels_as_s_and_label_a_balanced_few()
    {
        using var sp = Zoo.Services();
        var mnist = sp.Catalog().Data("mnist");
        using var data = mnist.Load(mnist.Config.Bind(Zoo.Pairs("train-limit=300", "test-limit=40"), "test"), new DataRequest(3, Binarization.None));
        var (train, test) = (data.Train, data.TestSet);
        using var t = TabularData.FromImages(train, test, new ImageRowOptions(SensitivePixels: 100, Seed: 3, Labels: 20));
        var l = t.Layout;
        (l.BinaryFeatures, l.ContinuousFeatures, l.SensitiveWidth, l.SensitiveGroups, l.Classes, l.Width).ShouldBe((684, 0, 100, 0, 10, 795));
        l.SensitiveIsGroup.ShouldBeFalse();
        l.Picture.ShouldBe((28, 28));
        t.Train.shape.ShouldBe(new long[] { 300, 795 });
        t.Test.shape.ShouldBe(new long[] { 40, 795 });
        (t.Train.dtype, t.EightBitColumns).ShouldBe((ScalarType.Byte, 784)); // MNIST's bytes, packed as they are
        using var widened = ImageDataset.Widen(t.Train, t.EightBitColumns);
        using (var pixels = widened.narrow(1, 0, 784))
        using (var images = train.Images.reshape(300, 784))
            pixels.equal(images).ShouldBeTrue();
        var rows = widened.data<float>();
        var labelledClasses = new List<long>();
        for (int r = 0; r < 300; r++)
        {
            var y = Enumerable.Range(0, 10).Where(c => rows[r * 795 + 784 + c] == 1f).ToList();
            y.ShouldBe(new List<int> { (int)t.TrainLabels[r] }, $"row {r}");
            if (rows[r * 795 + 794] == 1f) labelledClasses.Add(t.TrainLabels[r]);
        }
        labelledClasses.Count.ShouldBe(20);
        labelledClasses.GroupBy(c => c).Select(g => g.Count()).ShouldAllBe(c => c == 2);
        using var testWidened = ImageDataset.Widen(t.Test, t.EightBitColumns);
        var testRows = testWidened.data<float>();
        Enumerable.Range(0, 40).ShouldAllBe(r => testRows[r * 795 + 794] == 1f);
        Should.Throw<ArgumentException>(() => TabularData.FromImages(train, test, new ImageRowOptions(784, 0, 0)))
            .Message.ShouldContain("sensitive-pixels must be in [1, 783]");
    }

    [Fact]
    public void Few_labels_are_repeated_until_they_make_the_share_of_an_epoch()
    {
        bool[] labelled = [true, true, false, false, false, false, false, false, false, false]; // rows 0 and 1 of 10
        TrainingData.EpochSource(labelled, 0.2).ShouldBe(Enumerable.Range(0, 10)); // 2 of 10 labelled: already 0.2
        var more = TrainingData.EpochSource(labelled, 0.5);                          // 2·4 labelled against 8 unlabelled
        more.ShouldBe([.. Enumerable.Range(0, 10), 0, 1, 0, 1, 0, 1]);
        TrainingData.EpochSource(labelled, 0).ShouldBe(Enumerable.Range(0, 10));
    }

    [Fact]
    public void An_epoch_of_packed_rows_indexes_the_repeats_and_batches_them_as_copies_would_be()
    {
        var layout = new TabularLayout(2, 0, 1, 2, [], ["a", "b"]);
        // 10 rows [x x | s | y y | labelled], rows 0 and 1 labelled.
        var values = new float[10 * 6];
        for (int r = 0; r < 10; r++) (values[r * 6], values[r * 6 + 3 + r % 2], values[r * 6 + 5]) = (r, 1, r < 2 ? 1 : 0);
        var table = new TabularData
        {
            Layout = layout, Train = tensor(values, [10, 6]), Test = tensor(values, [10, 6]),
            TrainLabels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], TestLabels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], TrainSensitive = [], TestSensitive = [],
        };
        using var data = TrainingData.FromRows("t", table, Binarization.None, 0.5);
        data.EpochCount.ShouldBe(16);
        data.Train.Count.ShouldBe(10);  // the repeats are indexed, not copied
        data.TrainFacts!.Labelled.Count(l => l).ShouldBe(8);
        using var gen = new Generator(0);
        using var index = tensor(new long[] { 15, 3, 10 });
        using var batch = data.TrainBatch(index, gen);
        batch.narrow(1, 0, 1).squeeze(1).data<float>().ShouldBe([1f, 3f, 0f]); // epoch rows 15 and 10 are copies of rows 1 and 0
    }
}
