using System.Text.Json.Nodes;

namespace ExeSys.Tests.Infrastructure.Workflows;

/// <summary>Request bodies for POST /workflows, written the way a person writes them in a curl command.</summary>
public static class RunBody
{
    /// <param name="nodesJson">The "nodes" object as JSON text.</param>
    /// <param name="dataJson">The run's data (what start nodes see as "start_job"), or null for none.</param>
    public static string Graph(string from, string jobId, string nodesJson, string? dataJson = null, string? startJson = null, string? priority = null)
    {
        var body = new JsonObject { ["from"] = from, ["job_id"] = jobId };
        if (priority is not null)
        {
            body["priority"] = priority;
        }

        if (dataJson is not null)
        {
            body["data"] = JsonNode.Parse(dataJson);
        }

        if (startJson is not null)
        {
            body["start"] = JsonNode.Parse(startJson);
        }

        body["nodes"] = JsonNode.Parse(nodesJson);
        return body.ToJsonString();
    }

    public static string Named(string from, string jobId, string workflow, string dataJson) =>
        new JsonObject { ["from"] = from, ["job_id"] = jobId, ["data"] = JsonNode.Parse(dataJson), ["workflow"] = workflow }.ToJsonString();
}
