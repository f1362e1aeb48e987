using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Steward.Hosting;

/// <summary>
/// Turns what configuration loading, binding and validation throw into one line for an operator: the file, line and
/// position of a malformed JSON file; the key and value the binder could not convert; each validation failure. Never a
/// stack trace, never the same problem twice.
/// </summary>
internal static class ConfigurationProblems
{
    /// <summary>One line describing <paramref name="exception"/>; problems joined with "; ".</summary>
    public static string Describe(Exception exception) => string.Join("; ", List(exception));

    /// <summary>Each distinct problem in <paramref name="exception"/> (aggregates flattened), one line each.</summary>
    public static IReadOnlyList<string> List(Exception exception)
    {
        var problems = new List<string>();
        Collect(exception, problems);
        return problems.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>"FILE is not valid JSON at line L, position P: REASON", 1-based, without the reader's own position suffix.</summary>
    public static string MalformedJson(string file, JsonException error)
    {
        var reason = error.Message;
        var suffix = reason.IndexOf(" LineNumber:", StringComparison.Ordinal); // the reader appends its 0-based position
        if (suffix < 0)
        {
            suffix = reason.IndexOf(" Path:", StringComparison.Ordinal);
        }

        reason = (suffix >= 0 ? reason[..suffix] : reason).TrimEnd().TrimEnd('.', '|').TrimEnd();
        var where = error.LineNumber is { } line
            ? $" at line {line + 1}, position {(error.BytePositionInLine ?? 0) + 1}"
            : "";
        return $"{file} is not valid JSON{where}: {reason}.";
    }

    private static void Collect(Exception exception, List<string> problems)
    {
        switch (exception)
        {
            case AggregateException aggregate:
                foreach (var inner in aggregate.Flatten().InnerExceptions)
                {
                    Collect(inner, problems);
                }

                break;
            case OptionsValidationException invalid:
                problems.AddRange(invalid.Failures);
                break;
            case InvalidDataException when FindJson(exception) is { } json && FileOf(exception) is { } file:
                problems.Add(MalformedJson(file, json));
                break;
            case InvalidDataException when exception.InnerException is { } inner && FileOf(exception) is { } file:
                problems.Add($"{file}: {inner.Message}"); // a duplicate key, a top level that is not an object
                break;
            default:
                problems.Add(Flatten(exception.Message));
                break;
        }
    }

    private static JsonException? FindJson(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is JsonException json)
            {
                return json;
            }
        }

        return null;
    }

    // The file provider's message: "Failed to load configuration from file '<path>'."
    private static string? FileOf(Exception exception)
    {
        var message = exception.Message;
        var start = message.IndexOf('\'', StringComparison.Ordinal);
        var end = message.LastIndexOf('\'');
        return start >= 0 && end > start ? message[(start + 1)..end] : null;
    }

    private static string Flatten(string message)
    {
        if (!message.Contains('\n', StringComparison.Ordinal))
        {
            return message;
        }

        var line = new StringBuilder(message.Length);
        foreach (var part in message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            line.Append(line.Length == 0 ? "" : " ").Append(part);
        }

        return line.ToString();
    }
}
