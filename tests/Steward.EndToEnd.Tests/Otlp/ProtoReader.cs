namespace Steward.EndToEnd.Tests.Otlp;

/// <summary>
/// Walks protobuf wire format (https://protobuf.dev/programming-guides/encoding/): every field of a message as its number
/// and raw value, without generated code. Enough to read what an OTLP exporter really sent.
/// </summary>
internal static class ProtoReader
{
    /// <summary>One field: its number, wire type and value (a varint or fixed number, or the bytes of a length-delimited one).</summary>
    internal readonly record struct Field(int Number, int WireType, ulong Number64, ReadOnlyMemory<byte> Bytes)
    {
        public string String => System.Text.Encoding.UTF8.GetString(Bytes.Span);

        public double Double => BitConverter.Int64BitsToDouble((long)Number64);

        public long Int64 => (long)Number64;
    }

    public static IEnumerable<Field> Fields(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = ReadVarint(message.Span, ref position);
            var number = (int)(key >> 3);
            var wireType = (int)(key & 7);
            switch (wireType)
            {
                case 0:
                    yield return new Field(number, wireType, ReadVarint(message.Span, ref position), default);
                    break;
                case 1:
                    yield return new Field(number, wireType, BitConverter.ToUInt64(message.Span.Slice(position, 8)), default);
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message.Span, ref position);
                    yield return new Field(number, wireType, 0, message.Slice(position, length));
                    position += length;
                    break;
                case 5:
                    yield return new Field(number, wireType, BitConverter.ToUInt32(message.Span.Slice(position, 4)), default);
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"unsupported wire type {wireType} (field {number}) at byte {position}");
            }
        }
    }

    /// <summary>The length-delimited sub-messages of field <paramref name="number"/>.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Messages(ReadOnlyMemory<byte> message, int number) =>
        Fields(message).Where(f => f.Number == number && f.WireType == 2).Select(f => f.Bytes);

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
