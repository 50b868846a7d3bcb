using System.CommandLine;
using System.Text.RegularExpressions;

namespace AudioClassifier.Terminal;

/// <summary>
/// Runs a command line the way both tools (<c>audioclf</c>, <c>audioclf-train</c>) answer misuse: a command line that
/// does not parse gets one <c>error:</c> line per problem in the user's words (System.CommandLine names .NET types:
/// "System.Nullable`1[System.Int32]") and exit code 2, never 1, which scripts could not tell from a failure.
/// </summary>
public static partial class CommandLineUsage
{
    /// <summary>The usage exit code, shared by both tools.</summary>
    public const int InvalidArguments = 2;

    public static int Run(RootCommand root, string[] args, InvocationConfiguration? configuration = null)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count == 0)
            return configuration is null ? parsed.Invoke() : parsed.Invoke(configuration);
        var error = configuration?.Error ?? Console.Error;
        foreach (var problem in parsed.Errors)
            error.WriteLine("error: " + Friendly(problem.Message));
        error.WriteLine($"(run with --help for the commands and their options)");
        return InvalidArguments;
    }

    /// <summary>A parse error with the .NET type it names replaced by what the option takes, and System.CommandLine's
    /// "did you mean" list (an enum's member names, capitalised, one per line) on the same line, in lower case as the
    /// options are written.</summary>
    public static string Friendly(string message)
    {
        message = ExpectedType().Replace(message, m => "as " + Expected(m.Groups[1].Value));
        const string Suggestions = "Did you mean one of the following?";
        int at = message.IndexOf(Suggestions, StringComparison.Ordinal);
        if (at < 0)
            return message;
        var names = message[(at + Suggestions.Length)..].Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.Length == 0 ? message[..at].TrimEnd()
            : message[..at] + "Did you mean " + string.Join(", ", names.Select(n => n.ToLowerInvariant())) + "?";
    }

    private static string Expected(string type) => type switch
    {
        _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ when type.Contains("FramePadding", StringComparison.Ordinal) => "zeros, floor or repeat",
        _ when type.Contains("ExecutionProviderPreference", StringComparison.Ordinal) => "auto, cuda or cpu",
        _ => "the value it expects",
    };

    [GeneratedRegex(@"as expected type '([^']+)'")]
    private static partial Regex ExpectedType();
}
