using System.Xml.Linq;
using Zoo.Core.Plugins;

namespace Zoo.Core.Tests;

/// <summary>
/// Zoo.Core and Zoo.Torch ship their XML documentation beside the assemblies (copied into every project that
/// references them), so that plugin authors get IntelliSense for the contract.
/// </summary>
public class DocumentationTests
{
    [Theory]
    [InlineData(typeof(IZooPluginRegistration), "T:Zoo.Core.Plugins.IZooPluginRegistration")]
    [InlineData(typeof(IDecoderPlugin), "M:Zoo.Core.Plugins.IDecoderPlugin.Create(System.Object,System.Int32,System.Int32,Zoo.Torch.torch.Generator)")]
    [InlineData(typeof(torch), "T:Zoo.Torch.Excerpt")]
    public void The_contract_assemblies_ship_their_xml_documentation(Type type, string member)
    {
        var xml = Path.ChangeExtension(type.Assembly.Location, ".xml");
        File.Exists(xml).ShouldBeTrue($"{xml} is missing: set GenerateDocumentationFile in {type.Assembly.GetName().Name}.csproj");
        var doc = XDocument.Load(xml).Descendants("member").FirstOrDefault(m => (string?)m.Attribute("name") == member);
        doc.ShouldNotBeNull(member);
        doc.Element("summary")!.Value.Trim().ShouldNotBeEmpty();
    }
}
