-- Read a graph run and every node. One job slot: KEYS[1] run status, KEYS[2] workflow hash.
-- ARGV: prefix, job_id
-- Returns false | {the run's snapshot (snapshot_of in _common.lua: st, to, cmd, data, pri, ct, ut, at, err, wk, result,
-- retry_at, errors, progress), wf state, nodes...} where each node is 10 values: name, st, cmd, at, sa, ft, err,
-- skipped, to, next (its edges as JSON, with their conditions).
local f = read_snapshot(KEYS[1])
if not f[ST] or f[KIND] ~= 'w' then
  return false
end
local w = redis.call('HMGET', KEYS[2], 'state', 'nodes')
local out = snapshot_of(f)
out[#out + 1] = w[1] or 'done'
for _, n in ipairs(split(w[2])) do
  local s = redis.call('HMGET', job_key(ARGV[1], n, ARGV[2], 'status'), 'st', 'cmd', 'at', 'sa', 'ft', 'err', 'skipped', 'to', 'next')
  out[#out + 1] = n
  for i = 1, 9 do
    out[#out + 1] = s[i]
  end
end
return out
