namespace Steward.Hosting;

/// <summary>The restart delay: <c>min(MaxBackoff, InitialBackoff·2ⁿ)</c>, varied by ±Jitter.</summary>
internal static class Backoff
{
    /// <summary>The delay before restart <paramref name="attempt"/> (0-based within the current window).</summary>
    /// <param name="attempt">Restarts already made in the window.</param>
    /// <param name="options">The restart settings.</param>
    /// <param name="random">A number in [0, 1) that picks the jitter.</param>
    public static TimeSpan Delay(int attempt, RestartOptions options, double random)
    {
        var initial = options.InitialBackoff.Ticks;
        var max = Math.Max(options.MaxBackoff.Ticks, initial);

        // Doubling saturates at max; Math.ScaleB avoids overflowing 2ⁿ for large n.
        var ticks = initial == 0 ? 0 : Math.Min(max, initial * Math.ScaleB(1, Math.Min(attempt, 62)));
        var jittered = ticks * (1 + (options.Jitter * ((2 * random) - 1)));
        return TimeSpan.FromTicks((long)Math.Clamp(jittered, 0, max * (1 + options.Jitter)));
    }
}
