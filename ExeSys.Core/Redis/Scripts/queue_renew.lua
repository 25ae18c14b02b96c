-- Extend the leases of running jobs. Queue slot: KEYS[1] inflight. ARGV: lease ms, then members (the caller sends at
-- most RenewChunk of them per call, well within the values unpack can pass). A limited job's member is its lane member
-- ('~<lane>~from:job_id', _lanes.lua): its limit slots are extended with its lease.
-- Only a lease that is still running is extended. One that has expired stays expired, even before the controller
-- takes it back: its worker was gone (frozen, cut off) for longer than the lease, and the controller may be about to
-- give the job to another worker. One that is gone was taken back, or acked.
-- Returns the members (from:job_id) whose lease was lost (expired or gone): their worker must stop running them.
local now = now_ms()
local members, lanes = {}, {}
for i = 2, #ARGV do
  local lane, member = lane_split(ARGV[i])
  members[#members + 1] = member
  if lane then
    lanes[#members] = ARGV[i]
  end
end
if #members == 0 then
  return {}
end
local scores = redis.call('ZMSCORE', KEYS[1], unpack(members))
local deadline = now + tonumber(ARGV[1])
local args, lost, renewed_lanes = {}, {}, {}
for i, member in ipairs(members) do
  local score = scores[i]
  if score and tonumber(score) > now then
    args[#args + 1] = deadline
    args[#args + 1] = member
    if lanes[i] then
      renewed_lanes[#renewed_lanes + 1] = lanes[i]
    end
  else
    lost[#lost + 1] = member
  end
end
if #args > 0 then
  redis.call('ZADD', KEYS[1], 'XX', unpack(args))
end
if #renewed_lanes > 0 then
  lanes_renew(string.match(KEYS[1], '^(.*):inflight$'), renewed_lanes, deadline)
end
return lost
