using Zoo.Core.Data;
using Zoo.Core.Data.Tabular;
using Zoo.Core.Plugins;
using Zoo.Plugins.Data.Mnist;

namespace Zoo.Plugins.Tests;

/// <summary>Data that would train as if fine but is wrong: labels beyond the classes, an empty split, one class or one group.</summary>
public class DataValidationTests
{
    private static ImageDataset Images(string name, long[] labels) =>
        ImageDataset.FromTensors(name, 2, 2, rand([labels.Length, 4]).DetachFromDisposeScope(), tensor(labels).DetachFromDisposeScope());

    [Fact]
    public void A_label_beyond_the_classes_is_named_not_turned_into_a_bigger_classifier()
    {
        var e = Should.Throw<InvalidDataException>(() =>
            new MnistConfig().Examples(Images("digits-train", [0, 200, 3]), Images("digits-test", [1, 2]), new DataRequest(0, Binarization.None), classes: 10));
        e.Message.ShouldBe("digits-train: label 200 is not one of the data set's 10 classes (0 to 9)");
    }

    [Fact]
    public void An_empty_split_is_refused()
    {
        var e = Should.Throw<InvalidDataException>(() =>
            new MnistConfig { TestLimit = 0 }.Examples(Images("digits-train", [0, 1]), Images("digits-test", []), new DataRequest(0, Binarization.None), classes: 10));
        e.Message.ShouldBe("digits-test holds 0 examples; a split needs at least one");
    }

    [Theory]
    [InlineData("yes,young\nyes,old\nyes,young\nyes,old\nyes,old\n", "label column 'class' has a single class")]
    [InlineData("yes,young\nno,young\nyes,young\nno,young\nyes,young\n", "sensitive column 'age' has a single value")]
    public void A_one_class_target_or_a_one_group_sensitive_column_is_refused(string rows, string problem)
    {
        var path = Path.Combine(Path.GetTempPath(), $"zoo-table-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "class,age\n" + rows);
        try
        {
            var e = Should.Throw<InvalidDataException>(() => TabularData.Load(path, new TabularOptions("class", "age", 25, 0.3, 0, 0)));
            e.Message.ShouldContain(path);
            e.Message.ShouldContain(problem);
        }
        finally { File.Delete(path); }
    }
}
