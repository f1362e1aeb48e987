using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace WorkerDemo;

/// <summary>
/// Serilog output for the systemd journal (used when <c>JOURNAL_STREAM</c> is set): one line per event, led by its syslog
/// priority (<c>&lt;6&gt;</c> for Information, which journald turns into the entry's priority), without a timestamp
/// (journald stamps each line), exceptions folded onto the same line.
/// </summary>
internal sealed class JournalFormatter : ITextFormatter
{
    // The message with string values unquoted ("lj"), as the console template renders it.
    private static readonly MessageTemplateTextFormatter s_message = new("{Message:lj}", System.Globalization.CultureInfo.InvariantCulture);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        var priority = logEvent.Level switch
        {
            LogEventLevel.Fatal => 2,
            LogEventLevel.Error => 3,
            LogEventLevel.Warning => 4,
            LogEventLevel.Information => 6,
            _ => 7,
        };
        var source = logEvent.Properties.TryGetValue("SourceContext", out var context) && context is ScalarValue { Value: string name }
            ? name + ": "
            : "";
        using var message = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        s_message.Format(logEvent, message);
        var text = message.ToString();
        if (logEvent.Exception is { } exception)
        {
            text += " " + exception;
        }

        output.Write('<');
        output.Write(priority);
        output.Write('>');
        output.Write(source);
        output.Write(text.ReplaceLineEndings(" "));
        output.Write('\n');
    }
}
