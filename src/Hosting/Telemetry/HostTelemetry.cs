using System.Diagnostics;
using A = Steward.Diagnostics.StewardTelemetry.Attributes;
using I = Steward.Diagnostics.StewardTelemetry.Instruments;

namespace Steward.Hosting;

/// <summary>
/// The host's own two activities: <c>steward.host.start</c> (from the first Steward service starting to every worker
/// started) and <c>steward.host.stop</c> (from ApplicationStopping to ApplicationStopped), whose events mark each stage
/// of the stop so that a shutdown reads as one trace. Neither is ever current: nothing becomes their child by accident.
/// </summary>
internal sealed class HostTelemetry
{
    /// <summary>The stop's stage events, in the order they normally happen.</summary>
    public const string Stopping = "stopping";

    /// <summary>Every worker has stopped (or the budget ran out for those that did not).</summary>
    public const string WorkersDrained = "workers drained";

    /// <summary>The host nursery has closed.</summary>
    public const string NurseryClosed = "nursery closed";

    /// <summary>The host's tasklet loop has stopped.</summary>
    public const string TaskletsDrained = "tasklets drained";

    /// <summary>A deferred-call handler has drained.</summary>
    public const string DeferredCallsDrained = "deferred calls drained";

    /// <summary>A MultiOpen resource has shut down.</summary>
    public const string ResourcesClosed = "resources closed";

    /// <summary>The stop is over; carries the exit code.</summary>
    public const string ExitCodeEvent = "exit code";

    private readonly Lock _lock = new();
    private Activity? _start;
    private Activity? _stop;
    private bool _stopBegan;

    /// <summary>The host's start began (idempotent).</summary>
    public void StartBegan()
    {
        lock (_lock)
        {
            _start ??= HostingMetrics.StartHostActivity(I.HostStart);
        }
    }

    /// <summary>The host's start is over: <paramref name="workers"/> instances started (0 when a stop cut it short).</summary>
    public void StartEnded(int workers)
    {
        Activity? start;
        lock (_lock)
        {
            start = _start;
            _start = null;
        }

        if (start is null)
        {
            return;
        }

        start.SetTag("steward.worker.instances", workers);
        start.Stop();
    }

    /// <summary>The host's stop began (ApplicationStopping; idempotent).</summary>
    public void StopBegan()
    {
        Activity? stop;
        lock (_lock)
        {
            if (_stopBegan)
            {
                return;
            }

            _stopBegan = true;
            stop = _stop = HostingMetrics.StartHostActivity(I.HostStop);
        }

        stop?.AddEvent(new ActivityEvent(Stopping));
    }

    /// <summary>A stage of the stop is over.</summary>
    public void Stage(string stage, string? attribute = null, string? value = null)
    {
        var stop = Volatile.Read(ref _stop);
        if (stop is not { IsAllDataRequested: true })
        {
            return;
        }

        stop.AddEvent(attribute is null
            ? new ActivityEvent(stage)
            : new ActivityEvent(stage, tags: new ActivityTagsCollection { [attribute] = value }));
    }

    /// <summary>The stop is over (ApplicationStopped): the exit code decided so far ends it.</summary>
    public void StopEnded(int exitCode)
    {
        StartEnded(0); // a start cut short by the stop ends here at the latest
        Activity? stop;
        lock (_lock)
        {
            stop = _stop;
            _stop = null;
        }

        if (stop is null)
        {
            return;
        }

        stop.SetTag(A.ExitCode, exitCode);
        stop.AddEvent(new ActivityEvent(ExitCodeEvent, tags: new ActivityTagsCollection { [A.ExitCode] = exitCode }));
        if (exitCode != StewardExitCodes.Success)
        {
            stop.SetStatus(ActivityStatusCode.Error, $"exit code {exitCode}");
        }

        stop.Stop();
    }
}
