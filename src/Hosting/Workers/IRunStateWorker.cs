namespace Steward.Hosting;

/// <summary>
/// A supervised worker, registered with <c>AddRunState().AddWorker&lt;T&gt;()</c>. Each instance runs in its own DI scope
/// with its own <see cref="RunState"/>, a child of the host's: it is cancelled when the host stops, paused and resumed by
/// <see cref="IRunStateController"/> and the pause/resume signals, and restarted by the worker's restart policy.
/// </summary>
/// <remarks>
/// <b>Every run gets a fresh worker.</b> Each run of an instance, and so each restart, creates a new DI scope and resolves
/// a new worker object in it (with new scoped services); the scope is disposed when the run ends. A field of the worker
/// therefore starts over after every restart: keep state that must survive restarts (a counter, a cache, a connection
/// pool) in a singleton service the worker takes in its constructor. A run that failed may have left its object in any
/// state; the restart does not inherit it.
/// </remarks>
public interface IRunStateWorker
{
    /// <summary>
    /// The worker's work. Call a checkpoint (<see cref="RunState.ThrowIfCancelledAsync"/>) in every iteration: it waits
    /// while paused and throws once the host is stopping. Returning or throwing ends this run; whether it is restarted
    /// depends on the restart policy. An <see cref="OperationCanceledException"/> while the RunState is cancelled is a
    /// normal stop, not a failure.
    /// </summary>
    /// <param name="runState">This instance's RunState, already started; also <see cref="RunState.Current"/>.</param>
    /// <returns>A task that completes when the work ends.</returns>
    Task ExecuteAsync(RunState runState);
}
