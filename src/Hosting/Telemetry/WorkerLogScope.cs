using System.Collections;

namespace Steward.Hosting;

/// <summary>
/// The logging scope around each worker run: <c>WorkerName</c> and <c>WorkerInstance</c> as structured properties (for
/// Serilog's <c>FromLogContext</c>, the console's scopes, OpenTelemetry's log attributes), "Worker SensorMonitor#2" as text.
/// </summary>
internal sealed class WorkerLogScope(string name, int instance) : IReadOnlyList<KeyValuePair<string, object?>>
{
    /// <summary>The property that carries the worker's name.</summary>
    public const string NameProperty = "WorkerName";

    /// <summary>The property that carries the instance index.</summary>
    public const string InstanceProperty = "WorkerInstance";

    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new(NameProperty, name),
        1 => new(InstanceProperty, instance),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"Worker {name}#{instance}";
}
