using System.Text;

namespace Zoo.Core.Configuration
{
    /// <summary>
    /// How property and enum member names become config text: LatentDim → latent-dim. Compiled into both Zoo.Core
    /// and Zoo.Generators (linked source: the generator targets netstandard2.0 and cannot reference Zoo.Core), so
    /// the keys the generator writes and the text the runtime reads follow one rule.
    /// </summary>
    internal static class ConfigNames
    {
        public static string KebabCase(string name)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < name.Length; i++)
            {
                if (char.IsUpper(name[i]) && i > 0 && !char.IsUpper(name[i - 1])) sb.Append('-');
                sb.Append(char.ToLowerInvariant(name[i]));
            }
            return sb.ToString();
        }
    }
}
