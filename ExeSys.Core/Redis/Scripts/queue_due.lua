-- Move scheduled jobs whose time has come (retries after backoff, deferrals) to their lanes. Queue slot:
-- KEYS[1] scheduled, KEYS[2] the scheduled jobs' functions (hash member -> fn), KEYS[3] lanes index.
-- ARGV: wake channel, max count, queue base. Returns how many moved.
local now = now_ms()
-- Limited lanes parked at a limit whose time has come (a rate window opened, a crashed worker's slot expired) go back
-- into their functions' lanes (_lanes.lua).
lanes_unpark_due(ARGV[3], ARGV[1], now)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
if #due == 0 then
  return 0
end
local members = {}
for i = 1, #due, 2 do
  members[#members + 1] = due[i]
end
local fns = redis.call('HMGET', KEYS[2], unpack(members))
local items = {}
for i = 1, #due, 2 do
  items[#items + 1] = due[i + 1]
  items[#items + 1] = due[i]
  -- A member scheduled without its function (written before lanes existed) waits in the lane '?', which no worker
  -- offers: the controller's unserved timeout ends it.
  items[#items + 1] = fns[(i + 1) / 2] or '?'
end
redis.call('ZREM', KEYS[1], unpack(members))
redis.call('HDEL', KEYS[2], unpack(members))
enqueue_ready(ARGV[3], ARGV[1], items)
return #members
