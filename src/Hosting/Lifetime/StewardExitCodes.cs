namespace Steward.Hosting;

/// <summary>The process exit codes of a Steward host (see the README).</summary>
public static class StewardExitCodes
{
    /// <summary>Stopped cleanly.</summary>
    public const int Success = 0;

    /// <summary>A worker gave up (or failed under <see cref="RestartPolicy.Never"/>), a child of the host nursery failed,
    /// or start-up failed.</summary>
    public const int Failure = 1;

    /// <summary>Invalid configuration: nothing was started.</summary>
    public const int InvalidConfiguration = 2;

    /// <summary>The shutdown timeout expired with workers still running; they were logged and abandoned.</summary>
    public const int ShutdownTimeout = 3;

    /// <summary>The base of the exit code of a stop forced by a second signal: 128 + the signal number (SIGTERM: 143).</summary>
    public const int SignalBase = 128;
}
