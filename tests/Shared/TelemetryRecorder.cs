using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Steward.Tests.Support;

/// <summary>
/// Listens to Steward's meter and activity source the way an exporter would (a <see cref="MeterListener"/> and an
/// <see cref="ActivityListener"/>), and keeps every measurement and every stopped activity, for assertions. Tests that
/// use it run in the serial group: a listener enables Steward's instruments for the whole process.
/// </summary>
internal sealed class TelemetryRecorder : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;
    private readonly ConcurrentQueue<Measured> _measurements = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ConcurrentDictionary<string, Instrument> _instruments = new();

    public TelemetryRecorder()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Steward")
            {
                _instruments[instrument.Name] = instrument;
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meters.Start();
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Steward",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => _stopped.Enqueue(activity),
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public IReadOnlyCollection<Activity> Activities => [.. _stopped];

    /// <summary>The instrument published under <paramref name="name"/> (its unit and kind), once anything created it.</summary>
    public Instrument Instrument(string name) =>
        _instruments.TryGetValue(name, out var instrument) ? instrument : throw new KeyNotFoundException($"no instrument '{name}' was published");

    /// <summary>Measurements of <paramref name="name"/> whose tags include every pair of <paramref name="tags"/>.</summary>
    public IReadOnlyList<Measured> Of(string name, params (string Key, object? Value)[] tags) =>
        [.. _measurements.Where(m => m.Name == name && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value)))];

    /// <summary>The sum of the values of <see cref="Of"/>.</summary>
    public double Sum(string name, params (string Key, object? Value)[] tags) => Of(name, tags).Sum(m => m.Value);

    /// <summary>Collects the observable instruments now (as an exporter's periodic reader does).</summary>
    public void Observe() => _meters.RecordObservableInstruments();

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(tags.Length);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measurements.Enqueue(new Measured(instrument.Name, value, copy));
    }

    internal sealed record Measured(string Name, double Value, IReadOnlyDictionary<string, object?> Tags);
}
