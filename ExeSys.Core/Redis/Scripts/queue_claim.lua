-- Take jobs off the queue under a lease. Queue slot: KEYS[1] ready zset, KEYS[2] inflight zset.
-- ARGV: max count, lease ms. The lease deadline is on Redis's clock, the one clock every machine shares.
-- Returns the claimed members (from:job_id); the caller then moves each job to state 2 (job_start.lua).
local items = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
local n = #items
if n == 0 then
  return {}
end
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
local args = {}
local members = {}
for i = 1, n, 2 do
  args[#args + 1] = deadline
  args[#args + 1] = items[i]
  members[#members + 1] = items[i]
end
redis.call('ZADD', KEYS[2], unpack(args))
return members
