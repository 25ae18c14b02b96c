-- Claim one job: state 0 -> 2. One job slot: KEYS[1] status hash.
-- ARGV: worker id, now_ms
-- Returns {attempt, to, cmd, data} | {'skip', st} when the job is not waiting (already claimed, finished or gone).
local f = redis.call('HMGET', KEYS[1], 'st', 'to', 'cmd', 'data', 'at')
if f[1] ~= '0' then
  return {'skip', f[1] or ''}
end
local at = tonumber(f[5]) + 1
redis.call('HSET', KEYS[1], 'st', '2', 'at', at, 'wk', ARGV[1], 'sa', ARGV[2], 'ut', ARGV[2])
return {at, f[2], f[3], f[4]}
