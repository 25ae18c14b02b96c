-- Read what the archiver writes to MongoDB for one backlog entry. One job slot: KEYS[1] status.
-- ARGV: prefix, job_id, name (the job's 'from')
-- Returns {'gone'} | {'job', status fields (HGETALL), data_available, later steps of its chain that this job's failure
-- also failed and that are not archived yet} | for a graph node or run, the whole run:
-- {'run', owner, owner fields, owner data_available, wf state, operator log, then per node: name, fields, data_available}.
local prefix, job_id = ARGV[1], ARGV[2]
local s = redis.call('HGETALL', KEYS[1])
if #s == 0 then
  return {'gone'}
end
local f = redis.call('HMGET', KEYS[1], 'kind', 'st', 'to')
if f[1] == 'n' or f[1] == 'w' then
  local wf = wf_key(prefix, job_id)
  local owner = redis.call('HGET', wf, 'owner')
  if not owner then
    return {'gone'}
  end
  local out = {'run', owner, redis.call('HGETALL', job_key(prefix, owner, job_id, 'status')),
    stored_result(prefix, owner, job_id, false) or false,
    redis.call('HGET', wf, 'state') or false, redis.call('LRANGE', wf_log_key(prefix, job_id), 0, -1)}
  for _, n in ipairs(split(redis.call('HGET', wf, 'nodes'))) do
    out[#out + 1] = n
    out[#out + 1] = redis.call('HGETALL', job_key(prefix, n, job_id, 'status'))
    out[#out + 1] = stored_result(prefix, n, job_id, true) or false
  end
  return out
end
local cascade = {}
if f[2] == '4' and f[3] and f[3] ~= 'end_job' then
  -- The step protocol fails the rest of a chain in the failed step's script; those steps never see a worker.
  local step = f[3]
  for _ = 1, 10000 do
    local key = job_key(prefix, step, job_id, 'status')
    local n = redis.call('HMGET', key, 'st', 'to')
    if n[1] ~= '4' or redis.call('EXISTS', job_key(prefix, step, job_id, 'archived')) == 1 then
      break
    end
    cascade[#cascade + 1] = step
    if not n[2] or n[2] == 'end_job' then
      break
    end
    step = n[2]
  end
end
return {'job', s, redis.call('HGET', KEYS[1], 'da') or false, cascade}
