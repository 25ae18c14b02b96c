namespace ExeSys.Core.Jobs;

/// <summary>A validated <c>/sys_cmd</c> command. <see cref="DataJson"/> is the compact JSON text of <c>data</c>.</summary>
public sealed record JobCommand(JobRef Job, string To, string Cmd, string DataJson, JobPriority Priority);
