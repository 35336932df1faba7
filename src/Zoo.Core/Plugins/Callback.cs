namespace Zoo.Core.Plugins;

/// <summary>
/// A callback the trainer is given for every run (metrics files, curves, pictures, diagnostics): registered like any
/// plugin, so a plugin assembly can add one. It gets no config keys of its own from the command line.
/// </summary>
public interface ICallbackPlugin : IPlugin
{
    Training.ITrainingCallback Create(object config);
}
