using System.Text.Json.Serialization;
using ExeSys.Api.Functions;
using ExeSys.Api.Health;

namespace ExeSys.Api.SysCmd;

[JsonSerializable(typeof(JobReply))]
[JsonSerializable(typeof(SysCmdRequest))]
[JsonSerializable(typeof(FunctionInfo[]))]
[JsonSerializable(typeof(ReadinessReport))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
