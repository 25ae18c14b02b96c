-- Move scheduled jobs whose time has come (retries after backoff, deferrals) to the ready queue, and lanes parked at a
-- limit whose time has come back onto it (_lanes.lua: a rate window opened, or a crashed worker's slot expired). Queue
-- slot: KEYS[1] scheduled, KEYS[2] ready. ARGV: wake channel, max count. Returns how many jobs moved.
local now = now_ms()
lanes_unpark_due(queue_keys_of(KEYS[2]), KEYS[2], ARGV[1], now)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
if #due == 0 then
  return 0
end
local items, members = {}, {}
for i = 1, #due, 2 do
  items[#items + 1] = due[i + 1]
  items[#items + 1] = due[i]
  members[#members + 1] = due[i]
end
redis.call('ZREM', KEYS[1], unpack(members))
enqueue_ready(KEYS[2], ARGV[1], items)
return #members
