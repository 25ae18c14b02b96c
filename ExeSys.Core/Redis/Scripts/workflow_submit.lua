-- Create a graph run, if new. One job slot: KEYS[1] run status (owner:{job_id}),
-- KEYS[2] workflow hash (it keeps the run's data as 'start_data'), KEYS[3] (only with MongoDB history on) the run's archive tombstone: {'archived'} means the
-- run (or a job of the same from/job_id) finished and has left Redis for MongoDB, where the caller reads it; a new run
-- is never created over it.
-- ARGV: 1 owner, 2 job_id, 3 prefix, 4 definition (canonical JSON, compared on re-send), 5 watch,
--       6 priority, 7 run data (JSON, the 'start_job' input), 8 node count, 9 start nodes, 10 end nodes, 11 all nodes,
--       12 traceparent (the submit's W3C trace context, '' = none: kept in the workflow hash as 'tp', the parent of
--       every node's span, which start_job in _common.lua hands the worker),
--       13 where the tenant's recent-runs index is in KEYS ('' = not here: a cluster, where the caller adds the run to
--       it in that index's own slot; see RedisJobIndex), 14 the bound it keeps about to,
--       then per node 10 fields: name, cmd, data, next (JSON edges), in (comma list), out (comma list), pending,
--       max_attempts, timeout_ms, backoff_ms
-- The times it writes are Redis's clock (now_ms), the one every process compares them with.
-- Returns {'new', now_ms, start nodes...} | {'archived'} | {'taken', name} (a job of that name exists under this job_id) |
--         {'conflict', <snapshot without the result>} | {'existing', <snapshot>, start node, priority, cmd, q, ...}, the
--         snapshot as snapshot_of in _common.lua makes it (st, to, cmd, data, pri, ct, ut, at, err, wk, result,
--         retry_at, errors, progress), then the start nodes still in state 0, to enqueue again
-- Every check comes before the first write, and no write after it can fail, so a refused or failed submit leaves
-- nothing behind: a run of ScriptLimits.MaxWorkflowNodes nodes writes its workflow hash in chunks (UNPACK_CHUNK),
-- since unpack() takes at most 7,999 values and the hash holds 6-8 per node.
local UNPACK_CHUNK = 4000
local FIRST_NODE = 15

-- HSET of a field/value list, at most UNPACK_CHUNK values (an even number: whole pairs) per command.
local function hset_chunked(key, fields)
  for i = 1, #fields, UNPACK_CHUNK do
    redis.call('HSET', key, unpack(fields, i, math.min(i + UNPACK_CHUNK - 1, #fields)))
  end
end

local f = read_snapshot(KEYS[1])
if f[ST] then
  local kind = (f[CMD] == 'workflow' and f[DATA] == ARGV[4]) and 'existing' or 'conflict'
  if kind == 'existing' then
    mark_watched(KEYS[1], f, ARGV[5])
  else
    f[DA] = false
  end
  local out = {kind, unpack(snapshot_of(f))}
  if kind == 'existing' and f[ST] == '2' then
    -- Start nodes still waiting: a submit cut off before its enqueue step is healed by the client's re-send.
    for _, s in ipairs(split(ARGV[9])) do
      local n = redis.call('HMGET', job_key(ARGV[3], s, ARGV[2], 'status'), 'st', 'pri', 'cmd', 'q')
      if n[1] == '0' then
        out[#out + 1] = s
        out[#out + 1] = n[2] or '1'
        out[#out + 1] = n[3] or '?'
        out[#out + 1] = n[4] or ''
      end
    end
  end
  return out
end
local ix = tonumber(ARGV[13])
local tombstone = ix ~= 3 and KEYS[3] or nil
if tombstone and redis.call('EXISTS', tombstone) == 1 then
  return {'archived'}
end
local prefix, job_id = ARGV[3], ARGV[2]
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'taken', 'the workflow ' .. job_id}
end
local count = tonumber(ARGV[8])
for i = 0, count - 1 do
  local name = ARGV[FIRST_NODE + i * 10]
  if redis.call('EXISTS', job_key(prefix, name, job_id, 'status')) == 1 then
    return {'taken', name}
  end
end

-- Checked: from here on the script only writes.
local now = now_ms()
local run = {'st', '2', 'to', 'end_job', 'cmd', 'workflow', 'data', ARGV[4], 'pri', ARGV[6], 'ct', now, 'ut', now,
  'at', '1', 'sa', now, 'kind', 'w'}
if ARGV[5] == '1' then table.insert(run, 'w'); table.insert(run, '1') end
redis.call('HSET', KEYS[1], unpack(run))
local start_list = split(ARGV[9])
local wf = {'owner', ARGV[1], 'state', 'running', 'nodes', ARGV[11], 'ends', ARGV[10], 'out:start_job', ARGV[9],
  'start_data', '{"to":"' .. ARGV[9] .. '","result":' .. ARGV[7] .. '}'}
if ARGV[12] ~= '' then table.insert(wf, 'tp'); table.insert(wf, ARGV[12]) end
local starts = {}
for _, s in ipairs(start_list) do
  starts[s] = true
end
for i = 0, count - 1 do
  local b = FIRST_NODE + i * 10
  local name = ARGV[b]
  local node = {'st', starts[name] and '0' or '1', 'to', ARGV[b + 5] ~= '' and ARGV[b + 5] or 'end_job', 'cmd', ARGV[b + 1],
    'data', ARGV[b + 2], 'pri', ARGV[6], 'ct', now, 'ut', now, 'at', '0', 'kind', 'n', 'next', ARGV[b + 3],
    'ma', ARGV[b + 7], 'tmo', ARGV[b + 8], 'bo', ARGV[b + 9]}
  redis.call('HSET', job_key(prefix, name, job_id, 'status'), unpack(node))
  wf[#wf + 1] = 'in:' .. name; wf[#wf + 1] = ARGV[b + 4]
  wf[#wf + 1] = 'out:' .. name; wf[#wf + 1] = ARGV[b + 5]
  wf[#wf + 1] = 'pending:' .. name; wf[#wf + 1] = ARGV[b + 6]
  if starts[name] then
    wf[#wf + 1] = 'taken:' .. name; wf[#wf + 1] = '1'
  end
end
wf[#wf + 1] = 'pending:end_job'; wf[#wf + 1] = tostring(#split(ARGV[10]))
hset_chunked(KEYS[2], wf)
if ix then
  index_add(KEYS[ix], ARGV[1] .. ':' .. ARGV[2], ARGV[14])
end
local out = {'new', now}
for _, s in ipairs(start_list) do
  out[#out + 1] = s
end
return out
