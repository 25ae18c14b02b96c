-- Record a job's end: state 2 -> 3 with its EOJ, or 2 -> 4 with an error. One job slot:
-- KEYS[1] status hash, KEYS[2] data_available.
-- ARGV: attempt (fencing token), outcome ('3' or '4'), payload (EOJ JSON or error text), now_ms, retention_ms,
--       done channel, member.
-- Refused (returns 0) unless the job is still in state 2 under this very attempt: a worker that lost its lease
-- cannot overwrite the result of the worker that took over.
local f = redis.call('HMGET', KEYS[1], 'st', 'at', 'to', 'w')
if f[1] ~= '2' or f[2] ~= ARGV[1] then
  return 0
end
if ARGV[2] == '3' then
  redis.call('HSET', KEYS[1], 'st', '3', 'ut', ARGV[4], 'ft', ARGV[4])
  redis.call('SET', KEYS[2], '{"to":' .. cjson.encode(f[3]) .. ',"result":' .. ARGV[3] .. '}', 'PX', ARGV[5])
else
  redis.call('HSET', KEYS[1], 'st', '4', 'ut', ARGV[4], 'ft', ARGV[4], 'err', ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if f[4] then
  redis.call('PUBLISH', ARGV[6], ARGV[7])
end
return 1
