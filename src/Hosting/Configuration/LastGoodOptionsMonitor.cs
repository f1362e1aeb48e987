using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Steward.Hosting;

/// <summary>
/// An <see cref="IOptionsMonitor{TOptions}"/> that keeps the last options that bound and validated. The first read of a
/// name builds its options and throws as start-up validation does when they are invalid; after that, a configuration
/// reload replaces them only with options that bind and validate. A reload that does not is logged once, as one error
/// line naming each bad key and value (no stack trace; the same problems again, from the file watcher and a reload
/// signal say, at debug level only), and the previous options stay in force; so do they while a JSON configuration file
/// does not parse (the file watcher's reload of such a file empties its provider). <see cref="CurrentValue"/> never
/// throws after the first read, and <see cref="OnChange"/> listeners hear only of good options. Steward's own settings
/// work this way.
/// </summary>
/// <remarks>
/// Register it with <c>services.AddOptions&lt;T&gt;().Bind(...).ValidateOnStart().KeepLastGood()</c> (there is no public
/// constructor); it then answers every <see cref="IOptionsMonitor{TOptions}"/> of <typeparamref name="TOptions"/>. The
/// framework's monitor, by contrast, drops its value when a reload fails validation, throws from the reload's change
/// callbacks, and throws from every later read until the configuration is fixed. <see cref="IOptions{TOptions}"/>
/// (never reloaded) and <see cref="IOptionsSnapshot{TOptions}"/> (built afresh per scope) are not affected.
/// </remarks>
/// <typeparam name="TOptions">The options type.</typeparam>
[DebuggerDisplay("Last good {typeof(TOptions).Name}: {_values.Count} name(s)")]
public sealed class LastGoodOptionsMonitor<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>
    : IOptionsMonitor<TOptions>, IDisposable
    where TOptions : class
{
    private readonly IOptionsFactory<TOptions> _factory;
    private readonly ConfigurationFiles _files;
    private readonly ReloadRejections _rejections;
    private readonly string _display;
    private readonly ConcurrentDictionary<string, TOptions> _values = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _subscriptions = [];

    // Refreshes run one at a time (a file watcher and a signal can reload at once), so the options in force change in
    // the order the reloads came. Also guards the writes of the listeners' copy-on-write array.
    private readonly Lock _refreshLock = new();
    private volatile Listener[] _listeners = [];

    internal LastGoodOptionsMonitor(
        IOptionsFactory<TOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<TOptions>> sources,
        ConfigurationFiles files,
        ReloadRejections rejections)
    {
        _factory = factory;
        _files = files;
        _rejections = rejections;
        var name = typeof(TOptions).Name;
        _display = name.Length > "Options".Length && name.EndsWith("Options", StringComparison.Ordinal) ? name[..^"Options".Length] : name;
        foreach (var source in sources)
        {
            _subscriptions.Add(ChangeToken.OnChange(source.GetChangeToken, Refresh, source.Name ?? Options.DefaultName));
        }
    }

    /// <summary>The default-named options in force.</summary>
    /// <exception cref="OptionsValidationException">On the first read only: the options are invalid.</exception>
    public TOptions CurrentValue => Get(Options.DefaultName);

    /// <summary>The named options in force: the last that bound and validated.</summary>
    /// <param name="name">The options name; <see langword="null"/> is the default name.</param>
    /// <returns>The options.</returns>
    /// <exception cref="OptionsValidationException">On the first read of <paramref name="name"/> only: its options are
    /// invalid (nothing is kept, so the next read tries again).</exception>
    /// <exception cref="InvalidOperationException">On the first read only: a value cannot be converted.</exception>
    public TOptions Get(string? name)
    {
        name ??= Options.DefaultName;
        return _values.TryGetValue(name, out var value) ? value : _values.GetOrAdd(name, _factory.Create(name));
    }

    /// <summary>Registers a listener called, after a reload, with each name's new options that bound and validated.</summary>
    /// <param name="listener">Called with the new options and their name.</param>
    /// <returns>Unregisters the listener.</returns>
    public IDisposable OnChange(Action<TOptions, string?> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var registration = new Listener(this, listener);
        lock (_refreshLock)
        {
            _listeners = [.. _listeners, registration];
        }

        return registration;
    }

    /// <summary>Stops following reloads.</summary>
    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }

    private void Refresh(string name)
    {
        TOptions? fresh = null;
        lock (_refreshLock)
        {
            // A file watcher's reload of a file that does not parse leaves its provider empty: the options would bind
            // without that file's values, and validate. Nothing is taken from a configuration with a broken file.
            if (_files.Problems() is { Count: > 0 } broken)
            {
                _rejections.Rejected(ReloadRejections.Files, "", string.Join("; ", broken));
                return;
            }

            _rejections.Accepted(ReloadRejections.Files);
            var key = typeof(TOptions).FullName + "/" + name;
            try
            {
                fresh = _factory.Create(name);
                _values[name] = fresh;
                _rejections.Accepted(key);
            }
            catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
            {
                // A value the binder cannot convert is an InvalidOperationException naming the key and the value.
                _rejections.Rejected(key, _display, ConfigurationProblems.Describe(ex));
            }
        }

        // Listeners run outside the lock, as the framework's monitor runs them: one may read the options again.
        if (fresh is not null)
        {
            foreach (var listener in _listeners)
            {
                listener.Invoke(fresh, name);
            }
        }
    }

    private sealed class Listener(LastGoodOptionsMonitor<TOptions> owner, Action<TOptions, string?> action) : IDisposable
    {
        public void Invoke(TOptions options, string name) => action(options, name);

        public void Dispose()
        {
            lock (owner._refreshLock)
            {
                owner._listeners = Array.FindAll(owner._listeners, l => l != this);
            }
        }
    }
}
