-- Take jobs off the queue under a lease. Queue slot: KEYS[1] ready zset, KEYS[2] inflight zset, KEYS[3] idle workers.
-- ARGV: max count, lease ms, worker id, handoff wait ms ('0' = the worker is busy: do not wait for a handoff).
-- The lease deadline is on Redis's clock, the one clock every machine shares. A claim that empties the queue for an
-- idle worker lets it wait for a handoff (queue_enqueue.lua) until then + the wait; any other claim ends its wait.
-- Returns the claimed members (from:job_id); the caller then moves each job to state 2 (job_start.lua).
local items = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
local n = #items
if n == 0 and ARGV[4] == '0' then
  return {}
end
local now = now_ms()
if n / 2 < tonumber(ARGV[1]) and ARGV[4] ~= '0' then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
elseif n > 0 then
  redis.call('ZREM', KEYS[3], ARGV[3])
end
if n == 0 then
  return {}
end
local deadline = now + tonumber(ARGV[2])
local args = {}
local members = {}
for i = 1, n, 2 do
  args[#args + 1] = deadline
  args[#args + 1] = items[i]
  members[#members + 1] = items[i]
end
redis.call('ZADD', KEYS[2], unpack(args))
return members
