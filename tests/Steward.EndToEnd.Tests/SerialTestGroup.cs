namespace Steward.EndToEnd.Tests;

/// <summary>
/// Tests that load the machine (publishing a self-contained app, booting systemd) run in this collection: alone, after
/// the parallel ones, so they never starve a timing-sensitive test of CPU.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTestGroup
{
    public const string Name = "Serial: heavy end-to-end tests";
}
