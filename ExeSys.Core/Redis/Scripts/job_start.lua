-- Claim one job: state 0 (or 1 with a due retry) -> 2. One job slot: KEYS[1] status hash, KEYS[2] workflow hash.
-- ARGV: worker id, now_ms, prefix, job_id, name (the job's 'from')
-- Returns {attempt, to, cmd, data, inputs, next, timeout_ms, backoff_ms, deferred_until_ms, stop} where inputs is a JSON object of the results of the
-- job's predecessors in a workflow (node name -> EOJ) and next its outgoing graph edges (JSON), or {'skip', st}.
local f = redis.call('HMGET', KEYS[1], 'st', 'to', 'cmd', 'data', 'at', 'ra', 'kind', 'pred', 'next', 'tmo', 'bo', 'du', 'stop')
if not (f[1] == '0' or (f[1] == '1' and f[6])) then
  return {'skip', f[1] or ''}
end
if f[7] == 'n' then
  -- A graph node starts only while its run is running; while paused it is held, and resume enqueues it again.
  local state = redis.call('HGET', KEYS[2], 'state')
  if state == 'paused' then
    redis.call('HSET', KEYS[1], 'held', '1')
  end
  if state ~= 'running' then
    return {'skip', f[1]}
  end
end
local at = tonumber(f[5]) + 1
redis.call('HSET', KEYS[1], 'st', '2', 'at', at, 'wk', ARGV[1], 'sa', ARGV[2], 'ut', ARGV[2])
if f[6] then
  redis.call('HDEL', KEYS[1], 'ra')
end

local preds = {}
if f[7] == 'n' then
  preds = split(redis.call('HGET', KEYS[2], 'in:' .. ARGV[5]))
elseif f[8] then
  preds = {f[8]}
end
local parts = {}
for _, p in ipairs(preds) do
  local r = result_of(stored_result(ARGV[3], p, ARGV[4], f[7] == 'n'))
  if r then
    parts[#parts + 1] = '"' .. p .. '":' .. r
  end
end
return {at, f[2], f[3], f[4], '{' .. table.concat(parts, ',') .. '}', f[9] or '', f[10] or '', f[11] or '', f[12] or '', f[13] or ''}
