using Steward;

namespace WorkerDemo;

/// <summary>What the device-lifecycle state machine works on: one monitor run's connection to one simulated sensor.</summary>
internal sealed class DeviceSession(RunState runState, string sensor, IngestManager manager, DemoOptions settings, TimeProvider clock)
{
    public RunState RunState { get; } = runState;

    public string Sensor { get; } = sensor;

    public IngestManager Manager { get; } = manager;

    public DemoOptions Settings { get; } = settings;

    public TimeProvider Clock { get; } = clock;

    /// <summary>When the run began (for StallAfter).</summary>
    public long StartedAt { get; } = clock.GetTimestamp();

    /// <summary>Readings handed to the ingest manager this run.</summary>
    public long Readings { get; set; }

    /// <summary>Readings since the current connection was made (for DisconnectEvery).</summary>
    public int SinceConnect { get; set; }

    /// <summary>Readings the manager refused because it was closing.</summary>
    public long Refused { get; set; }

    /// <summary>Connections lost (and remade) this run.</summary>
    public int Reconnects { get; set; }
}
