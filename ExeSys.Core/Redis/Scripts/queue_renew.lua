-- Extend the leases of running jobs. Queue slot: KEYS[1] inflight. ARGV: lease ms, then members.
-- XX: a lease the controller already took back stays taken back.
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local args = {}
for i = 2, #ARGV do
  args[#args + 1] = deadline
  args[#args + 1] = ARGV[i]
end
return redis.call('ZADD', KEYS[1], 'XX', 'CH', unpack(args))
