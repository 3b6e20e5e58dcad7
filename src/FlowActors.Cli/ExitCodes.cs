namespace FlowActors.Cli;

/// <summary>What <c>flowctl</c> returns to the shell; <c>--help</c> prints this list from <see cref="All"/>.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>
    /// The command ran and failed: a file could not be read, the node could not be reached or did not answer in time,
    /// or it refused the request (401 without a valid token, 4xx/5xx with its reason).
    /// </summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong: unknown command or option, a missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>Every code with the sentence <c>--help</c> shows for it.</summary>
    public static readonly IReadOnlyList<(int Code, string Meaning)> All =
    [
        (Ok, "done"),
        (Failed, "failed: a file could not be read, the node was unreachable or timed out, or it refused the request (401 unauthorized, other HTTP errors)"),
        (Usage, "usage error: unknown command or option, missing or malformed value"),
    ];
}
