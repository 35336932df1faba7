namespace Zoo.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base of every network: owns named parameters and submodules (registered explicitly, in order),
        /// train/eval mode, state dicts and saving. Disposing a module disposes its parameters.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly List<(string Name, Parameter Param)> ownParameters = [];
            private readonly List<(string Name, Parameter Buffer)> ownBuffers = [];
            private readonly List<(string Name, Module Module)> modules = [];
            private bool disposed;

            protected Module(string name) => Name = name;

            public string Name { get; }
            public bool training { get; private set; } = true;

            protected Parameter register_parameter(string name, Parameter p)
            {
                CheckName(name);
                ownParameters.Add((name, p));
                return p;
            }

            /// <summary>
            /// A tensor the module keeps and saves that is not trained (batch norm's running estimates): in the state dict
            /// and checkpoints, never given to an optimizer. The module owns a copy of <paramref name="value"/>.
            /// </summary>
            protected Tensor register_buffer(string name, Tensor value)
            {
                CheckName(name);
                var buffer = new Parameter(value, requires_grad: false);
                ownBuffers.Add((name, buffer));
                return buffer;
            }

            protected T register_module<T>(string name, T module) where T : Module
            {
                CheckName(name);
                modules.Add((name, module));
                return module;
            }

            private void CheckName(string name)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('.'))
                    throw new ArgumentException($"invalid module/parameter name '{name}': must be non-empty and contain no '.'");
                if (ownParameters.Any(p => p.Name == name) || ownBuffers.Any(b => b.Name == name) || modules.Any(m => m.Name == name))
                    throw new ArgumentException($"'{name}' is already registered in {Name}");
            }

            /// <summary>All parameters, depth first, named by their dotted path ("encoder.0.weight").</summary>
            public IEnumerable<(string name, Parameter parameter)> named_parameters()
            {
                foreach (var (n, p) in ownParameters) yield return (n, p);
                foreach (var (mn, m) in modules)
                    foreach (var (n, p) in m.named_parameters()) yield return ($"{mn}.{n}", p);
            }

            /// <summary>All buffers (tensors saved but not trained), depth first, named by their dotted path.</summary>
            public IEnumerable<(string name, Tensor buffer)> named_buffers()
            {
                foreach (var (n, b) in ownBuffers) yield return (n, b);
                foreach (var (mn, m) in modules)
                    foreach (var (n, b) in m.named_buffers()) yield return ($"{mn}.{n}", b);
            }

            /// <summary>All parameters, depth first.</summary>
            public IReadOnlyList<Parameter> parameters() => named_parameters().Select(p => p.parameter).ToList();

            public IEnumerable<(string name, Module module)> named_children() => modules.Select(m => (m.Name, m.Module));

            public long ParameterCount() => parameters().Sum(p => p.numel());

            /// <summary>Sets training mode here and in every submodule.</summary>
            public Module train(bool on = true)
            {
                training = on;
                foreach (var (_, m) in modules) m.train(on);
                return this;
            }

            public Module eval() => train(false);

            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in parameters()) p.zero_grad(set_to_none);
            }

            /// <summary>Name → parameter or buffer (the module's own tensors, not copies: don't dispose them).</summary>
            public Dictionary<string, Tensor> state_dict() =>
                named_parameters().Select(p => (p.name, Tensor: (Tensor)p.parameter)).Concat(named_buffers()).ToDictionary(p => p.Item1, p => p.Item2);

            /// <summary>Copies values into the parameters and buffers by name; with strict, missing or extra keys and shape mismatches throw.</summary>
            public void load_state_dict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
            {
                var own = state_dict();
                if (strict)
                {
                    var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
                    var extra = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
                    if (missing.Count > 0 || extra.Count > 0)
                        throw new InvalidDataException(
                            $"state dict does not match {Name}: missing [{Names(missing)}], unexpected [{Names(extra)}]");
                }
                using var _ = no_grad();
                foreach (var (name, p) in own)
                {
                    if (!state.TryGetValue(name, out var src)) continue;
                    var (want, have) = (p.shape, src.shape);
                    if (!want.SequenceEqual(have))
                        throw new InvalidDataException(
                            $"state dict entry {SafeTensors.Name(name)}: expected shape [{string.Join(", ", want)}], found [{string.Join(", ", have)}]");
                    p.copy_(src);
                }
            }

            // A foreign file can hold thousands of tensors: a few names say what it is, the count the rest.
            private static string Names(List<string> names) =>
                string.Join(", ", names.Take(5).Select(SafeTensors.Name)) + (names.Count > 5 ? $", … ({names.Count} in all)" : "");

            /// <summary>Saves the parameters and buffers as a safetensors file (atomically).</summary>
            public void save(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
                SafeTensors.Save(path, state_dict(), metadata);

            /// <summary>Loads parameters saved by <see cref="save"/>; a file that does not fit this module is named in the error.</summary>
            public void load(string path, bool strict = true)
            {
                using var loaded = SafeTensors.Load(path);
                try { load_state_dict(loaded.Tensors, strict); }
                catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
            }

            public void Dispose()
            {
                if (disposed) return;
                disposed = true;
                foreach (var (_, p) in ownParameters) p.Dispose();
                foreach (var (_, b) in ownBuffers) b.Dispose();
                foreach (var (_, m) in modules) m.Dispose();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>A module with a typed forward (TorchSharp's Module&lt;T, TResult&gt;).</summary>
        public abstract class Module<T, TResult> : Module
        {
            protected Module(string name) : base(name) { }
            public abstract TResult forward(T input);
            public TResult call(T input) => forward(input);
        }
    }
}
