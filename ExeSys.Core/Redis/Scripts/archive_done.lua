-- After a job (or a whole graph run) is safely in MongoDB: its keys get the hot retention, and a tombstone stays
-- behind so a re-send is answered from MongoDB instead of creating a new job. One job slot: KEYS[1] status,
-- KEYS[2] tombstone (for a run: the owner's keys).
-- ARGV: retention_ms, tombstone_ms (RetentionPolicy.TombstoneMs: always a TTL), prefix, job_id, kind ('job' | 'run')
-- Returns 1, or 0 when the job has not ended (nothing is expired then).
local ret, tomb, prefix, job_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local st = redis.call('HGET', KEYS[1], 'st')
if st ~= '3' and st ~= '4' then
  return 0
end
if ARGV[5] == 'run' then
  local wf = wf_key(prefix, job_id)
  local state = redis.call('HGET', wf, 'state')
  if state == 'running' or state == 'paused' then
    return 0
  end
  for _, n in ipairs(split(redis.call('HGET', wf, 'nodes'))) do
    redis.call('PEXPIRE', job_key(prefix, n, job_id, 'status'), ret)
  end
  redis.call('PEXPIRE', wf_log_key(prefix, job_id), ret)
  redis.call('PEXPIRE', wf, ret)
elseif redis.call('HGET', KEYS[1], 'to') ~= 'end_job' or redis.call('HEXISTS', KEYS[1], 'pred') == 1 then
  -- A step of the original protocol: its chain's shared progress hash leaves with it.
  redis.call('PEXPIRE', wf_key(prefix, job_id), ret)
end
redis.call('PEXPIRE', KEYS[1], ret)
redis.call('SET', KEYS[2], st, 'PX', tomb)
return 1
