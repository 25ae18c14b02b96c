-- wait_event, each time it runs: has an event been delivered to this job? One job slot: KEYS[1] status hash.
-- ARGV: event name. Returns {1, event JSON} when one was delivered, else marks the job as waiting for the event
-- (so a post can deliver to it) and returns {0, created_ms}: events posted since the job was created count.
local f = redis.call('HMGET', KEYS[1], 'evd', 'ct')
if f[1] then
  return {1, f[1]}
end
redis.call('HSET', KEYS[1], 'evw', ARGV[1])
return {0, f[2] or '0'}
