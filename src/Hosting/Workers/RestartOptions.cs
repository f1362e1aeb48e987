namespace Steward.Hosting;

/// <summary>
/// When and how an instance is restarted: <c>Steward:Workers:&lt;name&gt;:Restart</c>. At most <see cref="MaxRestarts"/>
/// restarts within <see cref="Window"/> (the count starts again once the window has elapsed, as Akka's one-for-one
/// strategy); the delay before restart n (from 0) is <c>min(MaxBackoff, InitialBackoff·2ⁿ)</c>, varied by ±<see cref="Jitter"/>.
/// </summary>
public sealed class RestartOptions
{
    /// <summary>When to restart. Default <see cref="RestartPolicy.OnFailure"/>.</summary>
    public RestartPolicy Policy { get; set; } = RestartPolicy.OnFailure;

    /// <summary>How many restarts are allowed within <see cref="Window"/> before the worker gives up. Default 5.</summary>
    public int MaxRestarts { get; set; } = 5;

    /// <summary>The window restarts are counted in. Default one minute.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The delay before the first restart of a window. Default one second.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay. Default 30 seconds.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The relative random variation of each delay, from 0 (none) to 1. Default 0.2 (±20%).</summary>
    public double Jitter { get; set; } = 0.2;
}
