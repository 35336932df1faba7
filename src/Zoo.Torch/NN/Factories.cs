using Zoo.Torch.Modules;

namespace Zoo.Torch;

public static partial class torch
{
    public static partial class nn
    {
        public static ActivationLayer ReLU() => new(Activation.ReLU);
        public static ActivationLayer LeakyReLU(double slope = 0.01) => new(Activation.LeakyReLU(slope));
        public static ActivationLayer ELU(double alpha = 1.0) => new(Activation.ELU(alpha));
        public static ActivationLayer Softplus() => new(Activation.Softplus);
        public static ActivationLayer Tanh() => new(Activation.Tanh);
        public static ActivationLayer Sigmoid() => new(Activation.Sigmoid);

        public static Linear Linear(long inFeatures, long outFeatures, bool hasBias = true, Generator? generator = null) =>
            new(inFeatures, outFeatures, hasBias, null, generator);

        public static Sequential Sequential(params Module<Tensor, Tensor>[] modules) => new(modules);

        /// <summary>
        /// A multilayer perceptron over <paramref name="sizes"/> (e.g. [784, 500, 500]): Linear layers fused with
        /// <paramref name="activation"/> between them; the last layer is linear unless <paramref name="activateLast"/>.
        /// </summary>
        public static Sequential MLP(IReadOnlyList<long> sizes, Activation activation, bool activateLast = false, Generator? generator = null)
        {
            if (sizes.Count < 2) throw new ArgumentException($"MLP needs at least an input and an output size, got [{string.Join(", ", sizes)}]");
            var layers = new Module<Tensor, Tensor>[sizes.Count - 1];
            for (int i = 0; i < layers.Length; i++)
            {
                bool last = i == layers.Length - 1;
                layers[i] = new Linear(sizes[i], sizes[i + 1], true, last && !activateLast ? Activation.Identity : activation, generator);
            }
            return new Sequential(layers);
        }
    }
}
