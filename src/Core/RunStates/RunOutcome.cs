namespace Steward;

/// <summary>How a <see cref="RunState.RunToEndAsync"/> run ended.</summary>
/// <param name="Failure">The body's exception; <see langword="null"/> when it returned, or ended by the RunState's own
/// cancellation.</param>
/// <param name="HandlerFailure">The first exception thrown by an event handler of the run's cancel or stop; the run is
/// stopped all the same.</param>
public sealed record RunOutcome(Exception? Failure, Exception? HandlerFailure)
{
    /// <summary>The outcome of a run that returned (or was cancelled) with no handler failing.</summary>
    public static RunOutcome Success { get; } = new(null, null);

    /// <summary><see langword="true"/> when the body did not fail: it returned, or ended by its RunState's cancellation.</summary>
    public bool Succeeded => Failure is null;
}
