using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Steward.Hosting;

/// <summary>
/// The <see cref="StewardOptions"/> in force: validated at start, then replaced on each configuration reload only by
/// options that bind and validate. A reload with a bad value is logged, naming the key and the value, and the previous
/// options stay in force, so a typo in a reloaded file (or on SIGHUP) cannot take the shutdown budget, the restart
/// policies or the running host down with it. Steward reads its options only through here.
/// </summary>
[DebuggerDisplay("Steward settings: shutdown timeout {Current.ShutdownTimeout}")]
internal sealed partial class StewardSettings : IDisposable
{
    private readonly IOptionsFactory<StewardOptions> _factory;
    private readonly ILogger _logger;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly Lock _refreshLock = new(); // two reloads at once (a file watcher and SIGHUP) land in order
    private volatile StewardOptions? _current;

    public StewardSettings(
        IOptionsFactory<StewardOptions> factory,
        IEnumerable<IOptionsChangeTokenSource<StewardOptions>> sources,
        ILoggerFactory loggers)
    {
        _factory = factory;
        _logger = loggers.CreateLogger("Steward.Hosting.Settings");
        foreach (var source in sources)
        {
            _subscriptions.Add(ChangeToken.OnChange(source.GetChangeToken, Refresh));
        }
    }

    /// <summary>The options in force. The first read builds them, and throws as start-up validation does if they are
    /// invalid (the host then fails to start with exit code 2); later reads never throw.</summary>
    public StewardOptions Current => _current ?? Initial();

    public void Dispose() => _subscriptions.ForEach(s => s.Dispose());

    private StewardOptions Initial()
    {
        var built = _factory.Create(Options.DefaultName);
        Interlocked.CompareExchange(ref _current, built, null);
        return _current!;
    }

    private void Refresh()
    {
        lock (_refreshLock)
        {
            try
            {
                _current = _factory.Create(Options.DefaultName);
            }
            catch (OptionsValidationException ex)
            {
                SettingsLog.Rejected(_logger, string.Join("; ", ex.Failures));
            }
            catch (InvalidOperationException ex)
            {
                SettingsLog.Rejected(_logger, ex.Message); // a value the binder cannot convert, or an unknown key
            }
        }
    }
}
