-- Read a graph run and every node. One job slot: KEYS[1] run status, KEYS[2] workflow hash.
-- ARGV: prefix, job_id
-- Returns false | {run fields (st, to, cmd, data, pri, ct, ut, at, err, wk, result, retry_at, errors, progress), wf state, nodes...} where each
-- node is 9 values: name, st, cmd, at, sa, ft, err, skipped, to.
local f = redis.call('HMGET', KEYS[1], 'st', 'to', 'cmd', 'data', 'pri', 'ct', 'ut', 'at', 'err', 'wk', 'kind', 'ra', 'errs', 'prog')
if not f[1] or f[11] ~= 'w' then
  return false
end
local result = false
if f[1] == '3' then
  result = redis.call('HGET', KEYS[1], 'da')
end
local w = redis.call('HMGET', KEYS[2], 'state', 'nodes')
local out = {f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], result, f[12], f[13], f[14], w[1] or 'done'}
for _, n in ipairs(split(w[2])) do
  local s = redis.call('HMGET', job_key(ARGV[1], n, ARGV[2], 'status'), 'st', 'cmd', 'at', 'sa', 'ft', 'err', 'skipped', 'to')
  out[#out + 1] = n
  for i = 1, 8 do
    out[#out + 1] = s[i]
  end
end
return out
