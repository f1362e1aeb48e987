namespace Steward.EndToEnd.Tests.Systemd;

/// <summary>A test that boots a real systemd: reported skipped, with the reason, where that cannot be done.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class RealSystemdFactAttribute : FactAttribute
{
    public RealSystemdFactAttribute()
    {
        if (RealSystemd.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
