using System.Text;

namespace ExeSys.Tests.Infrastructure.Requests;

/// <summary>
/// One request that a correct API must refuse with a 4xx, changing nothing in Redis: a hand-written case of the
/// malformed-request fixture, or one that <see cref="BadRequestGenerator"/> made. <see cref="Name"/> says what is wrong
/// with it (the case's name, or the generated request's category) and is all <see cref="ToString"/> gives, since it
/// names the test case; <see cref="Describe"/> gives the whole request, for a failure message.
/// </summary>
public sealed record BadRequest(string Name, HttpMethod Method, string PathAndQuery)
{
    /// <summary>The body, or null for none.</summary>
    public byte[]? Body { get; init; }

    /// <summary>The Content-Type of the body exactly as sent (not validated), or null for none.</summary>
    public string? ContentType { get; init; }

    /// <summary>The body goes without a Content-Length, chunked.</summary>
    public bool Chunked { get; init; }

    /// <summary>Request headers, sent as they are (not validated).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The request to send, relative to the client's base address.</summary>
    public HttpRequestMessage Build()
    {
        var request = new HttpRequestMessage(Method, new Uri(PathAndQuery, UriKind.Relative));
        if (Body is not null)
        {
            request.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }

            if (Chunked)
            {
                request.Content.Headers.ContentLength = null;
                request.Headers.TransferEncodingChunked = true;
            }
        }

        foreach (var (name, value) in Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    public string Describe()
    {
        var body = Body is null ? "(no body)" : Body.Length > 300 ? $"{Preview(Body[..300])}... ({Body.Length} bytes)" : Preview(Body);
        return $"[{Name}] {Method} {(PathAndQuery.Length > 200 ? PathAndQuery[..200] + "..." : PathAndQuery)} " +
               $"Content-Type: {ContentType ?? "(none)"}{(Chunked ? " (chunked)" : "")} " +
               $"{string.Join(" ", Headers.Select(h => $"{h.Key}: {h.Value}"))} {body}";
    }

    public override string ToString() => Name;

    private static string Preview(byte[] bytes) => Encoding.UTF8.GetString(bytes).Replace("\n", "\\n", StringComparison.Ordinal);
}
