namespace Steward.Hosting.Tests;

/// <summary>The delay before restart n is min(MaxBackoff, InitialBackoff·2ⁿ), varied by ±Jitter.</summary>
public class BackoffTests
{
    private static readonly RestartOptions s_plain = new()
    {
        InitialBackoff = TimeSpan.FromSeconds(1),
        MaxBackoff = TimeSpan.FromSeconds(30),
        Jitter = 0,
    };

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(4, 16)]
    [InlineData(5, 30)] // 32 s capped at MaxBackoff
    [InlineData(6, 30)]
    [InlineData(1_000, 30)] // no overflow, however many restarts
    [InlineData(int.MaxValue, 30)]
    public void Doubles_from_InitialBackoff_up_to_MaxBackoff(int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Delay(attempt, s_plain, random: 0.37));

    [Theory]
    [InlineData(0.0, 3.2)]  // the low end: -20 %
    [InlineData(0.5, 4.0)]  // the middle: unchanged
    [InlineData(1.0, 4.8)]  // the high end: +20 %
    [InlineData(0.25, 3.6)]
    public void Jitter_varies_the_delay_by_up_to_its_fraction_either_way(double random, double seconds)
    {
        var options = new RestartOptions { InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(30), Jitter = 0.2 };

        var delay = Backoff.Delay(2, options, random);

        Assert.Equal(seconds, delay.TotalSeconds, precision: 6);
    }

    [Fact]
    public void A_capped_delay_is_still_jittered_around_MaxBackoff()
    {
        var options = new RestartOptions { InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(10), Jitter = 0.5 };

        Assert.Equal(5, Backoff.Delay(50, options, random: 0).TotalSeconds, precision: 6);
        Assert.Equal(15, Backoff.Delay(50, options, random: 1).TotalSeconds, precision: 6);
    }

    [Fact]
    public void A_zero_InitialBackoff_restarts_at_once()
    {
        var options = new RestartOptions { InitialBackoff = TimeSpan.Zero, Jitter = 0.5 };

        Assert.Equal(TimeSpan.Zero, Backoff.Delay(7, options, random: 1));
    }
}
