-- Create a graph run, if new. One job slot: KEYS[1] run status (owner:{job_id}),
-- KEYS[2] workflow hash (it keeps the run's data as 'start_data'), KEYS[3] (only with MongoDB history on) the run's archive tombstone: {'archived'} means the
-- run (or a job of the same from/job_id) finished and has left Redis for MongoDB, where the caller reads it; a new run
-- is never created over it.
-- ARGV: 1 owner, 2 job_id, 3 prefix, 4 definition (canonical JSON, compared on re-send), 5 now_ms, 6 watch,
--       7 priority, 8 run data (JSON, the 'start_job' input), 9 node count, 10 start nodes, 11 end nodes, 12 all nodes,
--       then per node 10 fields: name, cmd, data, next (JSON edges), in (comma list), out (comma list), pending,
--       max_attempts, timeout_ms, backoff_ms
-- Returns {'new', start nodes...} | {'archived'} | {'taken', name} (a job of that name exists under this job_id) |
--         {'conflict', <snapshot without the result>} | {'existing', <snapshot>, start node, priority, ...}, the
--         snapshot as snapshot_of in _common.lua makes it (st, to, cmd, data, pri, ct, ut, at, err, wk, result,
--         retry_at, errors, progress), then the start nodes still in state 0, to enqueue again
local f = read_snapshot(KEYS[1])
if f[ST] then
  local kind = (f[CMD] == 'workflow' and f[DATA] == ARGV[4]) and 'existing' or 'conflict'
  if kind == 'existing' then
    mark_watched(KEYS[1], f, ARGV[6])
  else
    f[DA] = false
  end
  local out = {kind, unpack(snapshot_of(f))}
  if kind == 'existing' and f[ST] == '2' then
    -- Start nodes still waiting: a submit cut off before its enqueue step is healed by the client's re-send.
    for _, s in ipairs(split(ARGV[10])) do
      local n = redis.call('HMGET', job_key(ARGV[3], s, ARGV[2], 'status'), 'st', 'pri')
      if n[1] == '0' then
        out[#out + 1] = s
        out[#out + 1] = n[2] or '1'
      end
    end
  end
  return out
end
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then
  return {'archived'}
end
local prefix, job_id, now = ARGV[3], ARGV[2], ARGV[5]
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'taken', 'the workflow ' .. job_id}
end
local count = tonumber(ARGV[9])
for i = 0, count - 1 do
  local name = ARGV[13 + i * 10]
  if redis.call('EXISTS', job_key(prefix, name, job_id, 'status')) == 1 then
    return {'taken', name}
  end
end

local run = {'st', '2', 'to', 'end_job', 'cmd', 'workflow', 'data', ARGV[4], 'pri', ARGV[7], 'ct', now, 'ut', now,
  'at', '1', 'sa', now, 'kind', 'w'}
if ARGV[6] == '1' then table.insert(run, 'w'); table.insert(run, '1') end
redis.call('HSET', KEYS[1], unpack(run))
local wf = {'owner', ARGV[1], 'state', 'running', 'nodes', ARGV[12], 'ends', ARGV[11], 'out:start_job', ARGV[10],
  'start_data', '{"to":"' .. ARGV[10] .. '","result":' .. ARGV[8] .. '}'}
local starts = {}
for _, s in ipairs(split(ARGV[10])) do
  starts[s] = true
end
for i = 0, count - 1 do
  local b = 13 + i * 10
  local name = ARGV[b]
  local node = {'st', starts[name] and '0' or '1', 'to', ARGV[b + 5] ~= '' and ARGV[b + 5] or 'end_job', 'cmd', ARGV[b + 1],
    'data', ARGV[b + 2], 'pri', ARGV[7], 'ct', now, 'ut', now, 'at', '0', 'kind', 'n', 'next', ARGV[b + 3],
    'ma', ARGV[b + 7], 'tmo', ARGV[b + 8], 'bo', ARGV[b + 9]}
  redis.call('HSET', job_key(prefix, name, job_id, 'status'), unpack(node))
  table.insert(wf, 'in:' .. name); table.insert(wf, ARGV[b + 4])
  table.insert(wf, 'out:' .. name); table.insert(wf, ARGV[b + 5])
  table.insert(wf, 'pending:' .. name); table.insert(wf, ARGV[b + 6])
  if starts[name] then
    table.insert(wf, 'taken:' .. name); table.insert(wf, '1')
  end
end
table.insert(wf, 'pending:end_job'); table.insert(wf, tostring(#split(ARGV[11])))
redis.call('HSET', KEYS[2], unpack(wf))
local out = {'new'}
for _, s in ipairs(split(ARGV[10])) do
  out[#out + 1] = s
end
return out
