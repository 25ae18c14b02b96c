using System.Text.Json.Serialization;
using ExeSys.Api.Functions;
using ExeSys.Api.Health;

namespace ExeSys.Api.SysCmd;

[JsonSerializable(typeof(JobReply))]
[JsonSerializable(typeof(BatchReply))]
[JsonSerializable(typeof(StopReply))]
[JsonSerializable(typeof(JobActionReply))]
[JsonSerializable(typeof(IReadOnlyList<RunnerInfo>))]
[JsonSerializable(typeof(SysCmdRequest))]
[JsonSerializable(typeof(FunctionInfo[]))]
[JsonSerializable(typeof(ReadinessReport))]
[JsonSerializable(typeof(ExeSys.Core.History.HistoryPage))]
[JsonSerializable(typeof(ExeSys.Core.History.HistoryJob))]
[JsonSerializable(typeof(IReadOnlyList<ExeSys.Core.History.HistoryActivity>))]
[JsonSerializable(typeof(ExeSys.Api.History.HistoryStats))]
[JsonSerializable(typeof(ExeSys.Api.Workflows.WorkflowReply))]
[JsonSerializable(typeof(ExeSys.Api.Workflows.WorkflowControlReply))]
[JsonSerializable(typeof(ExeSys.Api.Workflows.CancelAllReply))]
[JsonSerializable(typeof(ExeSys.Api.Events.EventReply))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, System.Text.Json.JsonElement>))]
[JsonSerializable(typeof(IReadOnlyList<FunctionInfo>))]
[JsonSerializable(typeof(IReadOnlyList<ModuleInfo>))]
[JsonSerializable(typeof(ExeSys.Api.Schedules.ScheduleReply))]
[JsonSerializable(typeof(ExeSys.Api.Schedules.SchedulePage))]
[JsonSerializable(typeof(ExeSys.Api.Schedules.TriggerReply))]
[JsonSerializable(typeof(ExeSys.Api.Security.KeyRequest))]
[JsonSerializable(typeof(ExeSys.Api.Security.CreatedKey))]
[JsonSerializable(typeof(IReadOnlyList<ExeSys.Api.Security.KeyInfo>))]
[JsonSerializable(typeof(ExeSys.Api.WebConsole.ConsoleLogin))]
[JsonSerializable(typeof(ExeSys.Api.WebConsole.ConsoleSessionReply))]
[JsonSerializable(typeof(ExeSys.Api.WebConsole.OverviewReply))]
[JsonSerializable(typeof(IReadOnlyList<ExeSys.Api.WebConsole.ConsoleProcess>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(ExeSys.Api.WebConsole.ConsoleJobPage))]
[JsonSerializable(typeof(ExeSys.Api.WebConsole.ConsoleRunPage))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
