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

    /// <summary>Parses and runs <paramref name="args"/>. A command line that does not parse (an unknown option, a
    /// value of the wrong type) exits with <see cref="ExitCodes.InvalidArguments"/> like every other usage error;
    /// System.CommandLine's own code for it is 1, which scripts could not tell from a failure.</summary>
    public static int Run(string[] args, InvocationConfiguration? configuration = null) =>
        Terminal.CommandLineUsage.Run(Create(), args, configuration);
}
