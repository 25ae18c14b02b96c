-- Extend the leases of running jobs. Queue slot: KEYS[1] inflight. ARGV: lease ms, then members.
-- XX: a lease the controller already took back stays taken back.
local deadline = now_ms() + tonumber(ARGV[1])
local args = {}
for i = 2, #ARGV do
  args[#args + 1] = deadline
  args[#args + 1] = ARGV[i]
end
return redis.call('ZADD', KEYS[1], 'XX', 'CH', unpack(args))
