using System.Runtime.CompilerServices;

// Every native signature is blittable; bool crosses as one byte, exactly as C++'s bool.
[assembly: DisableRuntimeMarshalling]
[assembly: InternalsVisibleTo("Zoo.Torch.Tests")]
