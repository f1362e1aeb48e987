using static Steward.EndToEnd.Tests.Otlp.ProtoReader;

namespace Steward.EndToEnd.Tests.Otlp;

/// <summary>A span as OTLP carried it (opentelemetry/proto/trace/v1/trace.proto, the fields these tests read).</summary>
internal sealed record OtlpSpan(
    string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, ulong StartNanos, ulong EndNanos,
    IReadOnlyDictionary<string, object?> Attributes, IReadOnlyList<OtlpEvent> Events, int StatusCode, string StatusMessage);

/// <summary>A span event.</summary>
internal sealed record OtlpEvent(string Name, ulong TimeNanos, IReadOnlyDictionary<string, object?> Attributes);

/// <summary>A metric data point (a sum or gauge number, or a histogram's count) with its metric's name and unit.</summary>
internal sealed record OtlpPoint(string Metric, string Unit, string Kind, double Value, IReadOnlyDictionary<string, object?> Attributes);

/// <summary>Decodes OTLP export requests (http/protobuf bodies).</summary>
internal static class OtlpModel
{
    /// <summary>Every span of an <c>ExportTraceServiceRequest</c>.</summary>
    public static IEnumerable<OtlpSpan> Spans(ReadOnlyMemory<byte> request)
    {
        foreach (var resourceSpans in Messages(request, 1))
        {
            foreach (var scopeSpans in Messages(resourceSpans, 2))
            {
                var scope = Messages(scopeSpans, 1).Select(s => Fields(s).First(f => f.Number == 1).String).FirstOrDefault() ?? "";
                foreach (var span in Messages(scopeSpans, 2))
                {
                    var fields = Fields(span).ToList();
                    var status = fields.Where(f => f.Number == 15).Select(f => Fields(f.Bytes).ToList()).FirstOrDefault() ?? [];
                    yield return new OtlpSpan(
                        scope,
                        Hex(fields, 1),
                        Hex(fields, 2),
                        Hex(fields, 4),
                        fields.First(f => f.Number == 5).String,
                        fields.First(f => f.Number == 7).Number64,
                        fields.First(f => f.Number == 8).Number64,
                        Attributes(fields.Where(f => f.Number == 9)),
                        [.. fields.Where(f => f.Number == 11).Select(e => Event(e.Bytes))],
                        (int)(status.FirstOrDefault(f => f.Number == 3).Number64),
                        status.FirstOrDefault(f => f.Number == 2) is { WireType: 2 } message ? message.String : "");
                }
            }
        }
    }

    /// <summary>Every data point of an <c>ExportMetricsServiceRequest</c>.</summary>
    public static IEnumerable<OtlpPoint> Points(ReadOnlyMemory<byte> request)
    {
        foreach (var resourceMetrics in Messages(request, 1))
        {
            foreach (var scopeMetrics in Messages(resourceMetrics, 2))
            {
                foreach (var metric in Messages(scopeMetrics, 2))
                {
                    var fields = Fields(metric).ToList();
                    var name = fields.First(f => f.Number == 1).String;
                    var unit = fields.FirstOrDefault(f => f.Number == 3) is { WireType: 2 } u ? u.String : "";
                    foreach (var (number, kind) in new[] { (5, "gauge"), (7, "sum"), (9, "histogram") })
                    {
                        foreach (var data in fields.Where(f => f.Number == number))
                        {
                            foreach (var point in Messages(data.Bytes, 1))
                            {
                                var p = Fields(point).ToList();
                                double value = kind == "histogram"
                                    ? p.First(f => f.Number == 4).Number64
                                    : p.FirstOrDefault(f => f.Number == 6) is { WireType: 1 } asInt ? asInt.Int64 : p.First(f => f.Number == 4).Double;
                                var attributes = Attributes(p.Where(f => f.Number == (kind == "histogram" ? 9 : 7)));
                                yield return new OtlpPoint(name, unit, kind, value, attributes);
                            }
                        }
                    }
                }
            }
        }
    }

    private static OtlpEvent Event(ReadOnlyMemory<byte> bytes)
    {
        var fields = Fields(bytes).ToList();
        return new OtlpEvent(fields.First(f => f.Number == 2).String, fields.First(f => f.Number == 1).Number64, Attributes(fields.Where(f => f.Number == 3)));
    }

    private static Dictionary<string, object?> Attributes(IEnumerable<Field> keyValues)
    {
        var attributes = new Dictionary<string, object?>();
        foreach (var keyValue in keyValues)
        {
            var fields = Fields(keyValue.Bytes).ToList();
            var key = fields.First(f => f.Number == 1).String;
            object? value = null;
            if (fields.FirstOrDefault(f => f.Number == 2) is { WireType: 2 } any)
            {
                var v = Fields(any.Bytes).FirstOrDefault();
                value = v.Number switch
                {
                    1 => v.String,
                    2 => v.Number64 != 0,
                    3 => v.Int64,
                    4 => v.Double,
                    _ => null,
                };
            }

            attributes[key] = value;
        }

        return attributes;
    }

    private static string Hex(List<Field> fields, int number) =>
        fields.FirstOrDefault(f => f.Number == number) is { WireType: 2 } field ? Convert.ToHexStringLower(field.Bytes.Span) : "";
}
