namespace Steward.Hosting.Tests.Support;

/// <summary>
/// Tests that listen to Steward's process-wide activity source and meter run in this collection: alone, after the
/// parallel ones, so no other test's hosts show up in what they record.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTestGroup
{
    public const string Name = "Serial: process-wide listeners";
}
