using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace Steward.Testing;

/// <summary>
/// Runs a .NET program (a dll built beside the tests) as a real child process, in its own process group and with
/// every signal at its default disposition, and lets a test wait for its output lines and send it real signals.
/// </summary>
/// <remarks>
/// A shell that starts a job in the background leaves SIGINT and SIGQUIT ignored, the child inherits that, and .NET
/// then never sees them. So on Linux the child is started through <c>setsid env --default-signal</c> (util-linux and
/// coreutils, present on every Debian), elsewhere through a python3 one-liner that does the same. Signals go to the
/// child's process group, as a terminal's Ctrl+C does.
/// </remarks>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private const string PythonExecWithDefaultSignals = """
        import os, signal, sys
        for s in signal.valid_signals():
            try: signal.signal(s, signal.SIG_DFL)
            except (OSError, ValueError): pass
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.setpgid(0, 0)
        os.execvp(sys.argv[1], sys.argv[1:])
        """;

    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _transcript = new();

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => OnLine("out", e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine("err", e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the child printed so far (stdout and stderr), for assertions and failure messages.</summary>
    public string Transcript
    {
        get
        {
            lock (_transcript)
            {
                return _transcript.ToString();
            }
        }
    }

    /// <summary>Starts <c>dotnet <paramref name="dll"/> <paramref name="arguments"/></c>.</summary>
    /// <param name="dll">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="workingDirectory">Its working directory (the tests' folder by default).</param>
    /// <param name="environment">Variables to add to its environment.</param>
    /// <param name="systemdExecPid">Set <c>SYSTEMD_EXEC_PID</c> to the child's own pid, as systemd does for the process it
    /// starts (a shell sets it and execs the program, which keeps the pid).</param>
    public static ChildProcess Start(
        string dll, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null,
        bool systemdExecPid = false)
    {
        Assert.True(File.Exists(dll), $"missing {dll}: it should be built beside the tests");
        var command = new List<string>();
        if (systemdExecPid)
        {
            command.AddRange(["sh", "-c", "SYSTEMD_EXEC_PID=$$ exec \"$0\" \"$@\""]);
        }

        command.AddRange([DotnetHost(), dll]);
        command.AddRange(arguments);

        ProcessStartInfo start;
        if (OperatingSystem.IsLinux())
        {
            start = new ProcessStartInfo("setsid");
            start.ArgumentList.Add("env");
            start.ArgumentList.Add("--default-signal");
        }
        else
        {
            start = new ProcessStartInfo("python3");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(PythonExecWithDefaultSignals);
        }

        command.ForEach(start.ArgumentList.Add);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}"));
    }

    /// <summary>Waits for the next stdout or stderr line containing <paramref name="text"/>, skipping others.</summary>
    public async Task<string> ExpectLineAsync(string text, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? s_defaultTimeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(deadline.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (line.Contains(text, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"timed out waiting for a line containing '{text}'. Child output:\n{Transcript}");
        }

        Assert.Fail($"the child ended without printing a line containing '{text}' (exit code {(_process.HasExited ? _process.ExitCode : null)}). Output:\n{Transcript}");
        return "";
    }

    /// <summary>
    /// Waits until a line containing each of <paramref name="texts"/> has been printed, in any order (for lines whose
    /// order the child does not fix, such as a worker's output and the host's "Application started").
    /// </summary>
    public async Task ExpectAllAsync(params string[] texts)
    {
        var remaining = new List<string>(texts);
        using var deadline = new CancellationTokenSource(s_defaultTimeout);
        try
        {
            while (remaining.Count > 0 && await _lines.Reader.WaitToReadAsync(deadline.Token))
            {
                while (remaining.Count > 0 && _lines.Reader.TryRead(out var line))
                {
                    remaining.RemoveAll(text => line.Contains(text, StringComparison.Ordinal));
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
        }

        if (remaining.Count > 0)
        {
            Assert.Fail($"no line containing '{string.Join("', '", remaining)}' (exit code {(_process.HasExited ? _process.ExitCode : null)}). Output:\n{Transcript}");
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the child's process group, as a terminal's Ctrl+C does.</summary>
    public void Signal(PosixSignal signal)
    {
        var number = SignalNumber(signal);
        if (Kill(-Id, number) != 0)
        {
            Assert.Fail($"kill(-{Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? s_defaultTimeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"the child did not exit in time. Output:\n{Transcript}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    /// <summary>The number of <paramref name="signal"/> (the same on Linux and macOS for these four).</summary>
    public static int SignalNumber(PosixSignal signal) =>
        signal switch
        {
            PosixSignal.SIGHUP => 1,
            PosixSignal.SIGINT => 2,
            PosixSignal.SIGQUIT => 3,
            PosixSignal.SIGTERM => 15,
            _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "not a signal these tests send"),
        };

    /// <summary>SIGUSR1/SIGUSR2 have no <see cref="PosixSignal"/> member; their raw numbers on this OS.</summary>
    public static int RawSignalNumber(string name) => (name, OperatingSystem.IsMacOS()) switch
    {
        ("USR1", false) => 10,
        ("USR2", false) => 12,
        ("USR1", true) => 30,
        ("USR2", true) => 31,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown signal"),
    };

    /// <summary>Sends a signal by number to the child's process group.</summary>
    public void Signal(int number)
    {
        if (Kill(-Id, number) != 0)
        {
            Assert.Fail($"kill(-{Id}, {number}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    internal static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private void OnLine(string stream, string? line)
    {
        if (line is null)
        {
            if (stream == "out")
            {
                _lines.Writer.TryComplete();
            }

            return;
        }

        lock (_transcript)
        {
            _transcript.Append(stream).Append(": ").AppendLine(line);
        }

        _lines.Writer.TryWrite(line);
    }
}
