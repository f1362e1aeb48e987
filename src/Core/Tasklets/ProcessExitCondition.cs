using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;

namespace Steward.Tasklets;

/// <summary>
/// <see cref="WaitFor.ProcessExit"/>: fires when the process has exited, with its exit code as the event; on an exited
/// process it fires asynchronously, again at each wait that includes it.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The token source lives from Arm to Disarm, and the loop always disarms (at the latest when the tasklet finishes).")]
internal sealed class ProcessExitCondition(Process process) : WaitCondition
{
    private CancellationTokenSource? _watch; // loop thread only: the exit wait of the current arming

    public override string ToString() => $"WaitFor.ProcessExit({Describe()})";

    protected internal override void Arm(Tasklet tasklet)
    {
        bool exited;
        try
        {
            exited = process.HasExited;
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"Tasklet '{tasklet.Name}': {this} cannot be waited for: {ex.Message}", ex);
        }

        var generation = Generation;
        if (exited)
        {
            FireLater(generation, process.ExitCode);
            return;
        }

        if (_watch is null)
        {
            _watch = new CancellationTokenSource();
            _ = WatchAsync(generation, _watch.Token);
        }
    }

    protected internal override void Disarm()
    {
        var watch = _watch;
        _watch = null;
        if (watch is not null)
        {
            watch.Cancel();
            watch.Dispose();
        }
    }

    private async Task WatchAsync(int generation, CancellationToken token)
    {
        try
        {
            await process.WaitForExitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            FireArmed(generation, ex); // the process cannot be watched any more; report it rather than hang
            return;
        }

        FireArmed(generation, process.ExitCode);
    }

    private string Describe()
    {
        try
        {
            return $"pid {process.Id}";
        }
        catch (InvalidOperationException)
        {
            return "not started";
        }
    }
}
