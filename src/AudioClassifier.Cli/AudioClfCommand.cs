using System.CommandLine;
using AudioClassifier.Cli.Commands;

namespace AudioClassifier.Cli;

/// <summary>The root of <c>audioclf</c>: one sub-command per task.</summary>
public static class AudioClfCommand
{
    public static RootCommand Create() =>
        new("audioclf: audio classification tools (features, classification, training).")
        {
            FeaturesCommand.Create(),
            ClassifyCommand.Create(),
            ContractCommand.Create(),
            CalibrateCommand.Create(),
            EvaluateCommand.Create(),
        };
}
