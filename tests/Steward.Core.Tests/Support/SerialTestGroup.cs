namespace Steward.Tests.Support;

/// <summary>
/// Tests that saturate the CPU (stress) or measure elapsed time run in this collection: alone, after the parallel
/// ones, so a stress test can never starve the thread pool under a timing test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTestGroup
{
    public const string Name = "Serial: stress and timing tests";
}
