-- wait_event, each time it runs: has an event been delivered to this job? One job slot: KEYS[1] status hash.
-- ARGV: event name. Returns {1, event JSON} when one was delivered, else marks the job as waiting for the event
-- (so a post can deliver to it) and returns {0, created_ms, wait_started_ms, now_ms}: events posted since the job was
-- created count, and a timeout counts from when the job first waited ('evs', kept across its looks, on Redis's clock).
local f = redis.call('HMGET', KEYS[1], 'evd', 'ct', 'evs')
if f[1] then
  return {1, f[1]}
end
local now = now_ms()
local started = f[3] or tostring(now)
redis.call('HSET', KEYS[1], 'evw', ARGV[1], 'evs', started)
return {0, f[2] or '0', started, now}
