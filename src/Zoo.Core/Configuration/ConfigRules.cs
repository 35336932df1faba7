namespace Zoo.Core.Configuration;

/// <summary>Checks several config records' [ConfigRule] methods share.</summary>
public static class ConfigRules
{
    /// <summary>A problem message when <paramref name="text"/> is not an activation Zoo.Torch can parse, else null.</summary>
    public static string? Activation(string key, string text)
    {
        try { Zoo.Torch.Activation.Parse(text); return null; }
        catch (FormatException e) { return $"{key}: {e.Message}"; }
    }
}
