namespace Zoo.Testing;

/// <summary>A Zoo.Testing check failed; the message says what was expected and what was found.</summary>
public sealed class ZooCheckException(string message) : Exception(message);
