using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Steward.Tests.Support;

/// <summary>
/// Runs tests/Steward.TestChild as a real child process in its own process group, with every signal at its
/// default disposition (a shell that started us in the background leaves SIGINT ignored, and .NET would never
/// see it), and lets a test wait for its protocol lines and send it real signals.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    // Reset dispositions and the mask, lead a new process group (as a terminal job), then become the child.
    private const string ExecWithDefaultSignals = """
        import os, signal, sys
        for name in ("SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGPIPE"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.setpgid(0, 0)
        os.execvp(sys.argv[1], sys.argv[1:])
        """;

    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _transcript = new();

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => OnLine("out", e.Data, complete: true);
        _process.ErrorDataReceived += (_, e) => OnLine("err", e.Data, complete: false);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>Everything the child printed so far, for assertion messages.</summary>
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

    public static ChildProcess Start(string scenario, params string[] arguments)
    {
        var childDll = Path.Combine(AppContext.BaseDirectory, "Steward.TestChild.dll");
        Assert.True(File.Exists(childDll), $"missing {childDll}: tests/Steward.TestChild is not built beside the tests");
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(ExecWithDefaultSignals);
        start.ArgumentList.Add(DotnetHost());
        start.ArgumentList.Add(childDll);
        start.ArgumentList.Add(scenario);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException("python3 did not start"));
    }

    /// <summary>Waits for the next stdout line that starts with <paramref name="prefix"/>, skipping others.</summary>
    public async Task<string> ExpectLineAsync(string prefix, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? s_defaultTimeout);
        try
        {
            while (await _lines.Reader.WaitToReadAsync(deadline.Token))
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Assert.Fail($"timed out waiting for a line starting '{prefix}'. Child output:\n{Transcript}");
        }

        Assert.Fail($"the child ended without printing a line starting '{prefix}' (exit code {ExitCodeOrNull()}). Output:\n{Transcript}");
        return "";
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. "INT") to the child's process group, as a terminal's Ctrl+C does.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, "--", "-" + Id]);
        kill!.WaitForExit();
        Assert.True(kill.ExitCode == 0, $"kill -{signal} -{Id} failed with {kill.ExitCode}");
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

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private int? ExitCodeOrNull() => _process.HasExited ? _process.ExitCode : null;

    private void OnLine(string stream, string? line, bool complete)
    {
        if (line is null)
        {
            if (complete)
            {
                _lines.Writer.TryComplete();
            }

            return;
        }

        lock (_transcript)
        {
            _transcript.Append(stream).Append(": ").AppendLine(line);
        }

        if (stream == "out")
        {
            _lines.Writer.TryWrite(line);
        }
    }
}
