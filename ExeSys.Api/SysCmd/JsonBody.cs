using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Unicode;

namespace ExeSys.Api.SysCmd;

/// <summary>
/// Reads a JSON request body by hand, so every way a body can be wrong (media type, size, syntax, not an object)
/// gets its own precise 4xx ProblemDetails instead of a framework error.
/// </summary>
internal static class JsonBody
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    /// <param name="shape">How the expected body looks, for messages, e.g. {"from", "to", ...}.</param>
    /// <param name="root">The JSON kind the body must be: an object, or an array for a batch.</param>
    /// <param name="limitSetting">The setting <paramref name="maxBytes"/> comes from, named in the 413.</param>
    public static async Task<(JsonDocument? Document, ProblemHttpResult? Problem)> ReadAsync(
        HttpRequest request, int maxBytes, string shape, CancellationToken cancellationToken,
        JsonValueKind root = JsonValueKind.Object, string limitSetting = "ExeSys:Api:MaxBodyBytes")
    {
        var media = request.ContentType;
        if (!string.IsNullOrEmpty(media) && !IsJson(media))
        {
            return (null, TypedResults.Problem(
                $"The body must be JSON sent as 'Content-Type: application/json'; got '{media}'. With curl, add -H \"Content-Type: application/json\".",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(request, maxBytes, limitSetting));
        }

        var reader = request.BodyReader;
        ReadResult read;
        try
        {
            while (true)
            {
                read = await reader.ReadAsync(cancellationToken);
                if (read.Buffer.Length > maxBytes)
                {
                    reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                    return (null, TooLarge(request, maxBytes, limitSetting));
                }

                if (read.IsCompleted)
                {
                    break;
                }

                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(request, maxBytes, limitSetting));
        }

        var body = read.Buffer;
        try
        {
            if (body.IsEmpty)
            {
                return (null, BadRequest($"The request has no body. Send a JSON {SysCmdRequestReader.Describe(root)} {shape}."));
            }

            // Copied out of Kestrel's pooled buffer: the document outlives this method, the buffer does not.
            var bytes = body.ToArray();
            if (!Utf8.IsValid(bytes))
            {
                return (null, BadRequest("The body is not valid UTF-8 text; send JSON encoded as UTF-8."));
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(bytes, ParseOptions);
            }
            catch (JsonException ex)
            {
                return (null, BadRequest($"The body is not valid JSON: {ex.Message}"));
            }

            if (doc.RootElement.ValueKind != root)
            {
                var kind = SysCmdRequestReader.Describe(doc.RootElement.ValueKind);
                doc.Dispose();
                return (null, BadRequest($"The body must be a JSON {SysCmdRequestReader.Describe(root)} {shape}, not a JSON {kind}."));
            }

            return (doc, null);
        }
        finally
        {
            reader.AdvanceTo(body.End);
        }
    }

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request body");

    private static bool IsJson(string media)
    {
        var type = media.Split(';', 2)[0].Trim();
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
               type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The rest of an oversized body is never read, so the connection cannot carry another request: say so with
    /// 'Connection: close', or a keep-alive client would send its next request into a connection about to close.
    /// </summary>
    private static ProblemHttpResult TooLarge(HttpRequest request, int max, string setting)
    {
        request.HttpContext.Response.Headers.Connection = "close";
        return TypedResults.Problem($"The body is larger than {max} bytes, the limit set by {setting}.",
            statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large");
    }
}
