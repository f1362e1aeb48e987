namespace Steward.Testing;

/// <summary>A fact that needs POSIX signals and processes; skipped on Windows.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "needs POSIX signals";
        }
    }
}
