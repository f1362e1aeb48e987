namespace WorkerDemo;

/// <summary>A consistent view of the ingest, taken in the manager's processing context between two calls.</summary>
/// <param name="Accepted">Readings the manager accepted this run.</param>
/// <param name="Stored">Readings it has stored this run (the rest wait in its batch).</param>
/// <param name="Batched">Readings accepted and not yet stored.</param>
/// <param name="StoredBefore">Readings the database held before this run.</param>
/// <param name="BySensor">Accepted readings per sensor.</param>
internal sealed record IngestSnapshot(long Accepted, long Stored, int Batched, long StoredBefore, IReadOnlyDictionary<string, long> BySensor);
