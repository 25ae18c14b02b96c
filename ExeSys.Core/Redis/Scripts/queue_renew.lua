-- Extend the leases of running jobs. Queue slot: KEYS[1] inflight. ARGV: lease ms, then members (the caller sends at
-- most RenewChunk of them per call, well within the values unpack can pass).
-- Only a lease that is still running is extended. One that has expired stays expired, even before the controller
-- takes it back: its worker was gone (frozen, cut off) for longer than the lease, and the controller may be about to
-- give the job to another worker. One that is gone was taken back, or acked.
-- Returns the members whose lease was lost (expired or gone): their worker must stop running them.
local now = now_ms()
local members = {}
for i = 2, #ARGV do
  members[#members + 1] = ARGV[i]
end
if #members == 0 then
  return {}
end
local scores = redis.call('ZMSCORE', KEYS[1], unpack(members))
local deadline = now + tonumber(ARGV[1])
local args, lost = {}, {}
for i, member in ipairs(members) do
  local score = scores[i]
  if score and tonumber(score) > now then
    args[#args + 1] = deadline
    args[#args + 1] = member
  else
    lost[#lost + 1] = member
  end
end
if #args > 0 then
  redis.call('ZADD', KEYS[1], 'XX', unpack(args))
end
return lost
