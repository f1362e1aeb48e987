namespace Steward.Diagnostics;

/// <summary>A pool, as the items-available gauge sees it.</summary>
internal interface IObservedPool
{
    string Name { get; }

    int Available { get; }
}
