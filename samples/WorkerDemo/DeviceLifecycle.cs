using Steward.StateMachines;

namespace WorkerDemo;

/// <summary>
/// A sensor connection's life, as a Steward state machine: connecting → streaming → (a dropped connection) reconnecting →
/// connecting ... → stopped when the monitor's run is cancelled. Each transition is logged by the <c>OnStart</c> callback,
/// counted in telemetry (<c>steward.statemachine.transitions</c>) and checked against the declared targets.
/// </summary>
internal sealed partial class DeviceLifecycle
{
    private readonly ILogger<DeviceLifecycle> _logger;

    public DeviceLifecycle(ILogger<DeviceLifecycle> logger)
    {
        _logger = logger;
        Machine = StateMachine.Define<DeviceSession>("device", logger)
            .State("connecting", to: ["streaming", "stopped"], ConnectAsync)
            .State("streaming", to: ["reconnecting", "stopped"], StreamAsync)
            .State("reconnecting", to: ["connecting", "stopped"], ReconnectAsync)
            .State("stopped", (_, s) => s.End())
            .OnStart((state, session, _) => LogState(session.RunState.Name, session.Sensor, state))
            .Build();
    }

    /// <summary>The machine; <c>Start(session, "connecting")</c> runs one connection's life.</summary>
    public StateMachine<DeviceSession> Machine { get; }

    private static async Task<StateTransition> ConnectAsync(DeviceSession session, StateContext s)
    {
        if (!await SleepAsync(session, TimeSpan.FromMilliseconds(100))) // the handshake
        {
            return s.GoTo("stopped");
        }

        session.SinceConnect = 0;
        return s.GoTo("streaming");
    }

    private async Task<StateTransition> StreamAsync(DeviceSession session, StateContext s)
    {
        var settings = session.Settings;
        while (true)
        {
            await session.RunState.WaitIfPausedAsync(); // a checkpoint: SIGUSR1 holds the monitor here
            if (session.RunState.IsCancelled)
            {
                return s.GoTo("stopped");
            }

            if (settings.StallAfter is { } stallAfter && session.Clock.GetElapsedTime(session.StartedAt) >= stallAfter)
            {
                LogStalling(session.RunState.Name);
                await SleepAsync(session, Timeout.InfiniteTimeSpan, checkpoint: false); // hangs, without checkpoints, until stopped
                return s.GoTo("stopped");
            }

            if (settings.FailureRate > 0 && Random.Shared.NextDouble() < settings.FailureRate)
            {
                throw new IOException($"Sensor {session.Sensor} fault (simulated, WorkerDemo:FailureRate = {settings.FailureRate}).");
            }

            var now = session.Clock.GetUtcNow();
            // A smooth signal per sensor with a little noise: what a thermometer on a boiler might report.
            var value = 60 + (20 * Math.Sin((now.ToUnixTimeMilliseconds() / 10_000.0) + session.Sensor.Length)) + Random.Shared.NextDouble();
            var reading = new Reading(session.Sensor, Math.Round(value, 2), now);
            if (!session.Manager.Oneway(m => m.Accept(reading)))
            {
                session.Refused++; // the manager is closing: the host is stopping
                return s.GoTo("stopped");
            }

            session.Readings++;
            if (settings.DisconnectEvery > 0 && ++session.SinceConnect >= settings.DisconnectEvery)
            {
                return s.GoTo("reconnecting"); // the simulated device drops its connection
            }

            if (!await SleepAsync(session, settings.SensorInterval))
            {
                return s.GoTo("stopped");
            }
        }
    }

    private async Task<StateTransition> ReconnectAsync(DeviceSession session, StateContext s)
    {
        session.Reconnects++;
        LogConnectionLost(session.RunState.Name, session.Sensor, session.SinceConnect);
        return await SleepAsync(session, TimeSpan.FromMilliseconds(300)) ? s.GoTo("connecting") : s.GoTo("stopped");
    }

    /// <summary>Sleeps on the run's RunState; false when the run was cancelled meanwhile (the device is to stop).</summary>
    private static async Task<bool> SleepAsync(DeviceSession session, TimeSpan delay, bool checkpoint = true)
    {
        try
        {
            if (checkpoint)
            {
                await session.RunState.SleepAsync(delay);
            }
            else
            {
                await Task.Delay(delay, session.RunState.Token);
            }
        }
        catch (OperationCanceledException) when (session.RunState.IsCancelled)
        {
        }

        return !session.RunState.IsCancelled;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Worker} ({Sensor}): {State}")]
    private partial void LogState(string worker, string sensor, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Worker} ({Sensor}): connection lost after {Readings} readings (simulated); reconnecting")]
    private partial void LogConnectionLost(string worker, string sensor, int readings);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Worker} stalls now (simulated, WorkerDemo:StallAfter): no more checkpoints")]
    private partial void LogStalling(string worker);
}
