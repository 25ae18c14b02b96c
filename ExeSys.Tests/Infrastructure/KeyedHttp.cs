namespace ExeSys.Tests.Infrastructure;

/// <summary>
/// A request with an API key (<c>Authorization: Bearer</c>) or none; every POST and PUT says application/json, as the API
/// requires. An event stream's reply is its status and media type only.
/// </summary>
public static class KeyedHttp
{
    public static async Task<Reply> SendAsync(HttpClient client, string? key, HttpMethod method, string path, string? json = null, bool workflowStep = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (method == HttpMethod.Post || method == HttpMethod.Put)
        {
            request.Content = json is null ? SysCmdHttp.EmptyJson() : SysCmdHttp.Json(json);
        }

        if (key is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        if (workflowStep)
        {
            request.Headers.Add("Operation", "workflow");
        }

        // An event stream (the console's live feed) never ends by itself: its status and media type are the reply.
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? new Reply(response.StatusCode, "text/event-stream", null, null, "", default)
            : await Reply.ReadAsync(response);
    }
}
