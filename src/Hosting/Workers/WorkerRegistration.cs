namespace Steward.Hosting;

/// <summary>A worker registered with <c>AddWorker</c>: its name and how to make an instance in a DI scope.</summary>
/// <param name="Name">The worker's unique name (its configuration key under <c>Steward:Workers</c>).</param>
/// <param name="WorkerType">The implementation type, for messages.</param>
/// <param name="Create">Makes an instance from the scope's services; returns whether Steward owns (must dispose) it.</param>
internal sealed record WorkerRegistration(
    string Name, Type WorkerType, Func<IServiceProvider, (IRunStateWorker Worker, bool Owned)> Create);
