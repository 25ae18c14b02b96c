-- Give a claimed job back: state 2 -> 0 (lease expired, or the worker is shutting down). One job slot:
-- KEYS[1] status hash. ARGV: expected attempt ('' = any), now_ms
-- Returns {'requeue', priority} when the job must go back on the queue, {'drop'} when it has ended or is gone.
local f = redis.call('HMGET', KEYS[1], 'st', 'at', 'pri')
if f[1] == '2' and (ARGV[1] == '' or ARGV[1] == f[2]) then
  redis.call('HSET', KEYS[1], 'st', '0', 'ut', ARGV[2])
  redis.call('HDEL', KEYS[1], 'wk')
  return {'requeue', f[3]}
end
if f[1] == '0' then
  return {'requeue', f[3]}
end
if f[1] == '2' then
  return {'keep'}
end
return {'drop'}
