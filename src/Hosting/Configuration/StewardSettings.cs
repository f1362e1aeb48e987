using System.Diagnostics;

namespace Steward.Hosting;

/// <summary>
/// The <see cref="StewardOptions"/> in force, through <see cref="LastGoodOptionsMonitor{TOptions}"/>: validated at
/// start, then replaced on each configuration reload only by options that bind and validate. A reload with a bad value
/// is logged once, naming the key and the value, and the previous options stay in force, so a typo in a reloaded file
/// (or on SIGHUP) cannot take the shutdown budget, the restart policies or the running host down with it. Steward
/// reads its options only through here.
/// </summary>
[DebuggerDisplay("Steward settings: shutdown timeout {Current.ShutdownTimeout}")]
internal sealed class StewardSettings(LastGoodOptionsMonitor<StewardOptions> monitor)
{
    /// <summary>The options in force. The first read builds them, and throws as start-up validation does if they are
    /// invalid (the host then fails to start with exit code 2); later reads never throw.</summary>
    public StewardOptions Current => monitor.CurrentValue;
}
