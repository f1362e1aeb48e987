namespace Steward.Hosting;

/// <summary>The workers registered with <c>AddWorker</c>, in registration order; one instance per service collection.</summary>
internal sealed class WorkerCatalog
{
    private readonly List<WorkerRegistration> _workers = [];

    public IReadOnlyList<WorkerRegistration> Workers => _workers;

    /// <summary>Whether <c>UsePostgresCoordination</c> was called, so clustered modes can be honoured.</summary>
    public bool HasCoordination { get; set; }

    /// <summary>Adds a worker; a duplicate name is refused at once, while the services are being configured.</summary>
    public void Add(WorkerRegistration registration)
    {
        if (_workers.Find(w => string.Equals(w.Name, registration.Name, StringComparison.OrdinalIgnoreCase)) is { } existing)
        {
            throw new InvalidOperationException(
                $"A worker named '{registration.Name}' is already registered ({existing.WorkerType.FullName}); "
                + $"cannot register {registration.WorkerType.FullName} under the same name. Pass a distinct name to AddWorker.");
        }

        _workers.Add(registration);
    }

    public bool Contains(string name) => _workers.Exists(w => string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase));
}
