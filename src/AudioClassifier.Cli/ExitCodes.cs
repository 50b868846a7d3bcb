namespace AudioClassifier.Cli;

/// <summary>Process exit codes, so scripts can tell bad usage from bad audio.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int InvalidArguments = Terminal.CommandLineUsage.InvalidArguments;
    public const int BadAudio = 3;
}
