// A scenario's results: figure name (redis_cmds_per_job, latency_p99_ms ...) to value.
global using Figures = System.Collections.Generic.Dictionary<string, double>;
