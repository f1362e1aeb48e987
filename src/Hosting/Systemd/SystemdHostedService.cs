using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Steward.Hosting;

/// <summary>
/// Tells systemd how the service is doing (sd_notify, through <see cref="StewardSystemdNotifier"/>): READY=1 once every
/// worker has started, STATUS= on each change of the workers' health (at most once a second), RELOADING=1 then READY=1
/// around a reload, STOPPING=1 when the stop begins and EXTEND_TIMEOUT_USEC= while the drain is still within the shutdown
/// timeout, and WATCHDOG=1 every half WatchdogSec, but only while the RunState health is not Unhealthy: a stalled or
/// given-up worker stops the pings, and systemd's watchdog restarts the service.
/// </summary>
/// <remarks>
/// <para>
/// The host calls each lifecycle phase on every hosted service before the next phase: on start <c>StartingAsync</c>,
/// <c>StartAsync</c>, <c>StartedAsync</c> in registration order; on stop <c>StoppingAsync</c>, <c>StopAsync</c>,
/// <c>StoppedAsync</c> in reverse registration order. What this service does in each is said on the method.
/// </para>
/// </remarks>
[UnsupportedOSPlatform("browser")]
internal sealed class SystemdHostedService(
    StewardSystemdNotifier notifier,
    SystemdEnvironment environment,
    RunStateController controller,
    ShutdownBudget budget,
    IHostApplicationLifetime lifetime,
    ILogger<SystemdHostedService> logger) : IHostedLifecycleService, IDisposable
{
    private static readonly TimeSpan s_statusInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_extendSlack = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _clock = TimeProvider.System; // systemd's timeouts are real time
    private readonly List<IDisposable> _resources = [];
    private string? _lastStatus;
    private volatile bool _ready;
    private volatile bool _stopping;
    private bool _withholding;

    /// <summary>Starts the watchdog pings (systemd may enforce WatchdogSec from the moment the process started).</summary>
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        SystemdLog.Active(logger, environment.NotifySocket!, environment.Watchdog is { } w ? $"every {w / 2} (WatchdogSec {w})" : "off");
        if (environment.Watchdog is { } watchdog)
        {
            var half = watchdog / 2;
            _resources.Add(_clock.CreateTimer(static self => ((SystemdHostedService)self!).Watchdog(), this, TimeSpan.Zero, half));
        }

        _resources.Add(lifetime.ApplicationStopping.Register(static self => ((SystemdHostedService)self!).OnStopping(), this));
        controller.Reloading += OnReloading;
        controller.Reloaded += OnReloaded;
        return Task.CompletedTask;
    }

    /// <summary>Nothing.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Sends READY=1 once every worker has started (not merely the host), then STATUS= on each health change.</summary>
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _ = ReadyWhenWorkersStartedAsync();
        _resources.Add(_clock.CreateTimer(static self => ((SystemdHostedService)self!).RefreshStatus(), this, s_statusInterval, s_statusInterval));
        return Task.CompletedTask;
    }

    /// <summary>Nothing: STOPPING=1 was sent at ApplicationStopping, before any service stops.</summary>
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops extending the stop's timeout: the process exits now, with the exit code systemd acts on.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        controller.Reloading -= OnReloading;
        controller.Reloaded -= OnReloaded;
        lock (_resources)
        {
            _resources.ForEach(r => r.Dispose());
            _resources.Clear();
        }
    }

    private async Task ReadyWhenWorkersStartedAsync()
    {
        try
        {
            await controller.WorkersStarted.WaitAsync(lifetime.ApplicationStopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // stopping before ready: STOPPING=1 says it
        }

        var status = Status();
        Volatile.Write(ref _lastStatus, status);
        _ready = true;
        notifier.Notify($"READY=1\nSTATUS={status}");
        SystemdLog.Ready(logger, status);
    }

    private void RefreshStatus()
    {
        if (!_ready || _stopping)
        {
            return;
        }

        var status = Status();
        if (status != Interlocked.Exchange(ref _lastStatus, status))
        {
            notifier.Notify($"STATUS={status}");
        }
    }

    private string Status() => SystemdStatus.Describe(controller.Workers);

    private void Watchdog()
    {
        var workers = controller.Workers;
        var unhealthy = workers.Where(RunStateHealthCheck.IsUnhealthy).ToList();
        if (unhealthy.Count > 0)
        {
            if (!_withholding)
            {
                _withholding = true;
                SystemdLog.WatchdogWithheld(logger, SystemdStatus.Describe(unhealthy));
            }

            return;
        }

        if (_withholding)
        {
            _withholding = false;
            SystemdLog.WatchdogResumed(logger);
        }

        notifier.Notify("WATCHDOG=1");
    }

    private void OnReloading()
    {
        // CLOCK_MONOTONIC in microseconds, which is what Stopwatch reads on Linux.
        var monotonicUsec = Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000);
        notifier.Notify($"RELOADING=1\nMONOTONIC_USEC={monotonicUsec.ToString(CultureInfo.InvariantCulture)}");
    }

    private void OnReloaded()
    {
        var status = Status();
        Volatile.Write(ref _lastStatus, status);
        notifier.Notify($"READY=1\nSTATUS={status}");
    }

    private void OnStopping()
    {
        _stopping = true;
        notifier.Notify($"STOPPING=1\nSTATUS={SystemdStatus.Describe(controller.Workers, "stopping")}");

        // The drain may take up to the shutdown timeout: tell systemd so, again every second while it lasts, so that
        // TimeoutStopSec never cuts a legitimate drain short. (The stop's own budget begins at this same moment.)
        budget.Begin();
        ExtendStop();
        lock (_resources)
        {
            _resources.Add(_clock.CreateTimer(static self => ((SystemdHostedService)self!).ExtendStop(), this, s_statusInterval, s_statusInterval));
        }
    }

    private void ExtendStop()
    {
        var extend = budget.Remaining + s_extendSlack;
        notifier.Notify($"EXTEND_TIMEOUT_USEC={((long)extend.TotalMicroseconds).ToString(CultureInfo.InvariantCulture)}");
    }
}
