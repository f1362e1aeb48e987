using System.Globalization;
using System.Runtime.InteropServices;

namespace Steward.Hosting;

/// <summary>Parses the signal names of <see cref="SignalOptions"/> into what <see cref="PosixSignalRegistration"/> takes.</summary>
internal static class SignalNames
{
    // Signals a setting may not take over: they stop the host, or cannot be caught at all.
    private static readonly string[] s_reserved = ["INT", "TERM", "QUIT", "KILL", "STOP"];

    /// <summary>
    /// Parses <paramref name="value"/> ("SIGUSR1", "USR1", "10"); an empty value means "off" (<paramref name="signal"/>
    /// null). Returns false with a reason for anything else.
    /// </summary>
    public static bool TryParse(string? value, out PosixSignal? signal, out string? error)
    {
        signal = null;
        error = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        var name = value.Trim().ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
        {
            name = name[3..];
        }

        if (Array.IndexOf(s_reserved, name) >= 0)
        {
            error = $"SIG{name} cannot be used: it stops the host or cannot be caught";
            return false;
        }

        var mac = OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var highest = mac ? 31 : 64;
            if (number < 1 || number > highest)
            {
                error = $"a signal number must be between 1 and {highest}";
                return false;
            }

            // A number is checked as its name would be: the stop signals are reserved, and 1 is SIGHUP, so that "1"
            // and "SIGHUP" are seen as the same signal.
            var stop = mac ? 17 : 19;
            if (number is 2 or 3 or 9 or 15 || number == stop)
            {
                error = $"signal {number} cannot be used: it stops the host or cannot be caught";
                return false;
            }

            if (Unusable(number, mac) is { } reason)
            {
                error = $"signal {number} cannot be used: {reason}";
                return false;
            }

            signal = number == 1 ? PosixSignal.SIGHUP : (PosixSignal)number;
            return true;
        }

        signal = name switch
        {
            "HUP" => PosixSignal.SIGHUP,
            "USR1" => (PosixSignal)(mac ? 30 : 10),
            "USR2" => (PosixSignal)(mac ? 31 : 12),
            "ALRM" => (PosixSignal)14,
            _ => null,
        };
        if (signal is null)
        {
            error = "not a signal name Steward knows (use e.g. SIGUSR1, SIGUSR2, SIGHUP, or a number)";
            return false;
        }

        return true;
    }

    // Signals the runtime, the C library or the terminal already own: a handler would break them (a fault signal would
    // no longer crash, a child process would never be reaped) or never run. Numbers as on Linux, or on macOS/FreeBSD.
    private static string? Unusable(int number, bool mac) => (mac, number) switch
    {
        (false, 4 or 5 or 6 or 7 or 8 or 11 or 31) or (true, 4 or 5 or 6 or 7 or 8 or 10 or 11 or 12) =>
            "it reports a fault, which the runtime handles",
        (false, 13) or (true, 13) => "SIGPIPE is ignored by the runtime so that writes to closed pipes fail instead",
        (false, 17) or (true, 20) => "SIGCHLD is used by the runtime to reap child processes",
        (false, 18 or 20 or 21 or 22) or (true, 18 or 19 or 21 or 22) => "it is a job-control signal the terminal and runtime handle",
        (_, 28) => "SIGWINCH is used by the console",
        (false, 32 or 33) => "the C library reserves it for its threads",
        (false, 34 or 35) => "the runtime uses the first real-time signal (34 with glibc, 35 with musl) to suspend threads",
        _ => null,
    };

    /// <summary>The conventional number of a stop signal, for the 128+n exit code of a forced exit.</summary>
    public static int Number(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        _ => (int)signal > 0 ? (int)signal : 0,
    };

    // Linux's numbers for the signals a setting may name (macOS and FreeBSD number some differently).
    private static readonly Dictionary<int, string> s_linuxNames = new()
    {
        [1] = "SIGHUP",
        [2] = "SIGINT",
        [3] = "SIGQUIT",
        [10] = "SIGUSR1",
        [12] = "SIGUSR2",
        [14] = "SIGALRM",
        [15] = "SIGTERM",
        [17] = "SIGCHLD",
        [18] = "SIGCONT",
        [20] = "SIGTSTP",
        [21] = "SIGTTIN",
        [22] = "SIGTTOU",
        [23] = "SIGURG",
        [24] = "SIGXCPU",
        [25] = "SIGXFSZ",
        [26] = "SIGVTALRM",
        [27] = "SIGPROF",
        [28] = "SIGWINCH",
        [29] = "SIGIO",
        [30] = "SIGPWR",
    };

    private static readonly Dictionary<int, string> s_bsdNames = new()
    {
        [1] = "SIGHUP",
        [2] = "SIGINT",
        [3] = "SIGQUIT",
        [14] = "SIGALRM",
        [15] = "SIGTERM",
        [16] = "SIGURG",
        [18] = "SIGTSTP",
        [19] = "SIGCONT",
        [20] = "SIGCHLD",
        [21] = "SIGTTIN",
        [22] = "SIGTTOU",
        [23] = "SIGIO",
        [24] = "SIGXCPU",
        [25] = "SIGXFSZ",
        [26] = "SIGVTALRM",
        [27] = "SIGPROF",
        [28] = "SIGWINCH",
        [29] = "SIGINFO",
        [30] = "SIGUSR1",
        [31] = "SIGUSR2",
    };

    /// <summary>The conventional name of a signal for logs ("SIGUSR1", never "10"); "signal N" for one without a name.</summary>
    public static string Name(PosixSignal signal)
    {
        var number = Number(signal);
        var names = OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? s_bsdNames : s_linuxNames;
        return names.TryGetValue(number, out var name) ? name : $"signal {number}";
    }
}
