-- Claim one job: state 0 (or 1 with a due retry) -> 2. One job slot: KEYS[1] status hash, KEYS[2] workflow hash.
-- ARGV: worker id, now_ms, prefix, job_id, name (the job's 'from')
-- Returns {attempt, to, cmd, data, inputs, next, timeout_ms, backoff_ms, deferred_until_ms, stop, created_ms, ready_ms, max_attempts, step,
-- traceparent}
-- where inputs is a JSON object of the results of the job's predecessors in a workflow (node name -> EOJ) and next its
-- outgoing graph edges (JSON), or {'skip', st}. created_ms .. step feed the worker's metrics (queue wait, end to end);
-- traceparent is the job's stored trace context (a graph node's: its run's).
return start_job(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
