using System.Net;
using ExeSys.Tests.Infrastructure.Deployment;

namespace ExeSys.Tests.Infrastructure.Workflows;

/// <summary>The workflow calls these tests make on a deployment's API, by HTTP, as a client would.</summary>
public static class WorkflowCalls
{
    /// <summary>POST /sys_cmd as the original clients send a workflow step: the first plain, later ones with the header.</summary>
    public static Task<Reply> PostStepAsync(this ExeSysDeployment deployment, string command, bool withWorkflowHeader, string? query = null)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return SysCmdHttp.PostAsync(deployment.Client, command, query, withWorkflowHeader ? r => r.Headers.Add("Operation", "workflow") : null);
    }

    public static Task<Reply> SubmitRunAsync(this ExeSysDeployment deployment, string body, string? query = null)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return deployment.PostAsync("/workflows" + query, body);
    }

    public static async Task<WorkflowView> ReadRunAsync(this ExeSysDeployment deployment, string from, string jobId)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var reply = await deployment.GetAsync($"/workflows/{from}/{jobId}");
        return reply.Status == HttpStatusCode.OK
            ? WorkflowView.Of(reply)
            : throw new InvalidOperationException($"GET /workflows/{from}/{jobId} answered {reply}");
    }

    /// <summary>Waits until the run has finished (state 3 or 4), then reads its whole graph.</summary>
    public static async Task<WorkflowView> WaitForRunAsync(this ExeSysDeployment deployment, string from, string jobId, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        await deployment.WaitForJobAsync(from, jobId, timeout);
        return await deployment.ReadRunAsync(from, jobId);
    }

    /// <summary>Polls the run's graph until <paramref name="isDone"/> holds.</summary>
    public static Task<WorkflowView> WaitForRunStateAsync(
        this ExeSysDeployment deployment, string from, string jobId, Func<WorkflowView, bool> isDone, string what, TimeSpan? timeout = null) =>
        Eventually.WaitForAsync(() => deployment.ReadRunAsync(from, jobId), isDone, timeout ?? TimeSpan.FromSeconds(60), what);
}
