namespace Steward.Diagnostics;

/// <summary>A deferred-call queue, as the queue-size gauge sees it.</summary>
internal interface IObservedQueue
{
    string Name { get; }

    int PendingCount { get; }
}
