-- Take jobs off the queue under a lease, only from the lanes of the functions the worker offers. Queue slot:
-- KEYS[1] lanes index, KEYS[2] inflight zset, KEYS[3] this worker's idle set (base:idle:<its offer signature>).
-- ARGV: max count, lease ms, worker id, handoff wait ms ('0' = the worker is busy: do not wait for a handoff),
--       queue base (P:{queue} or P:{queue:<name>}), key prefix ('' = only lease; see below), now_ms, '1' when an
--       earlier claim told the worker that a parked limited lane may start again by now (else '0'), the worker's
--       offer signature, '1' when the worker may be waiting in its idle set (so a claim that takes jobs ends that
--       wait; '0' when it is not: no ZREM), then the functions the worker offers (fn1, fn2, ...). KEYS[4], on the worker's first claim
--       in the queue only: the queue's idle signatures (queue_control.lua).
-- The algorithm: one ZMSCORE of the index gives the head score of each offered lane (nil = empty); the non-empty
-- lanes are taken in order of their head scores (so priorities, which shift scores, hold across lanes), each one
-- checked for eligibility (lane_eligible, below), and ZPOPMIN takes from each as many as are still wanted. After each
-- pop the lane's index entry is set to the score of the last job taken (no job left in the lane precedes it), or
-- removed when the lane is empty. O(offered functions + jobs taken); nothing is scanned.
-- The lease deadline is on Redis's clock, the one clock every machine shares. A claim that takes fewer than asked for
-- an idle worker lets it wait for a handoff (queue_enqueue.lua, job_submit.lua) until then + the wait; any other
-- claim ends its wait.
-- Limited jobs wait in limited lanes, present in their function's lane as tokens (_lanes.lua): lanes_claim, in the
-- loop below, is where a claim checks their limits, and only for the tokens it took.
-- Returns the time ('' = none) from which a limited lane this claim parked at its limit may start again, then the
-- claimed members (from:job_id, or '~<lane>~from:job_id' for a limited job); the caller then moves each job to state 2
-- (job_start.lua).
-- On a single Redis (the job keys are then in reach of this script), ARGV[6] = the key prefix and ARGV[7] = now_ms
-- (the worker's clock, as job_start.lua takes it) start the claimed jobs here as well, saving a job_start round trip
-- per job: the reply then has {member, job_start.lua's reply} for each claimed job after that time.
local max = tonumber(ARGV[1])
local base = ARGV[5]
local FIRST_FN = 11
if KEYS[4] then
  -- The worker's first claim in this queue records its signature, so a pause reaches its idle set.
  redis.call('SADD', KEYS[4], ARGV[FIRST_FN - 2])
end
if ARGV[8] == '1' then
  lanes_unpark_due(base, nil, now_ms())
end

-- The one place a non-empty lane is checked before anything is taken from it. Capacity limits are checked per
-- limited lane, for the tokens a pop takes (lanes_claim in _lanes.lua), so a function without limits pays nothing for
-- them. (A paused queue starts nothing: the claim's ZMSCORE reads the pause marker with the lanes' heads, below.)
local function lane_eligible(fn, state)
  return not state.paused
end

local items = {}
local paused = false
local again = nil
local now = nil
local deadline = nil
if #ARGV >= FIRST_FN then
  -- The pause marker (queue_control.lua) is read with the heads: a paused queue costs an unpaused one nothing.
  local heads = redis.call('ZMSCORE', KEYS[1], '~paused', unpack(ARGV, FIRST_FN))
  paused = heads[1] ~= false
  local lanes = {}
  for i = 2, #heads do
    if heads[i] then
      lanes[#lanes + 1] = {tonumber(heads[i]), ARGV[FIRST_FN + i - 2]}
    end
  end
  if #lanes > 1 then
    table.sort(lanes, function(a, b) return a[1] < b[1] end)
  end
  local state = {paused = paused}
  for _, lane in ipairs(lanes) do
    local want = max - #items / 2
    if want <= 0 then
      break
    end
    local fn = lane[2]
    if lane_eligible(fn, state) then
      local key = lane_key(base, fn)
      local popped = redis.call('ZPOPMIN', key, want)
      local tokens, parked_until = false, nil
      if #popped > 0 then
        now = now or now_ms()
        deadline = deadline or now + tonumber(ARGV[2])
        popped, tokens, parked_until = lanes_claim(base, key, popped, want, now, deadline)
        if parked_until and (again == nil or parked_until < again) then
          again = parked_until
        end
      end
      for i = 1, #popped do
        items[#items + 1] = popped[i]
      end
      -- The index entry follows the lane's head: a lane the pop emptied leaves; one that may hold more gets the score
      -- of the last job popped, which no job left behind precedes (a lower bound, as an enqueue's ZADD LT keeps it,
      -- without a read of the new head); after tokens (which go back with their own scores) the head is read.
      local head = {}
      if tokens then
        head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      elseif #popped / 2 == want then
        head = {popped[#popped - 1], popped[#popped]}
      end
      if head[2] then
        redis.call('ZADD', KEYS[1], head[2], fn)
      else
        redis.call('ZREM', KEYS[1], fn)
      end
    end
  end
end
local n = #items
if n == 0 and ARGV[4] == '0' then
  return {again or ''}
end
now = now or now_ms()
if n / 2 < max and ARGV[4] ~= '0' then
  if paused then
    -- A set that starts waiting in a paused queue gets the pause marker, so no handoff takes this worker.
    redis.call('ZADD', KEYS[3], '+inf', '~paused')
  end
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
elseif n > 0 and ARGV[FIRST_FN - 1] == '1' then
  redis.call('ZREM', KEYS[3], ARGV[3])
end
if n == 0 then
  return {again or ''}
end
deadline = deadline or now + tonumber(ARGV[2])
local args = {}
local members = {again or ''}
for i = 1, n, 2 do
  local _, member = lane_split(items[i])
  args[#args + 1] = deadline
  args[#args + 1] = member
  members[#members + 1] = items[i]
end
redis.call('ZADD', KEYS[2], unpack(args))
if ARGV[6] == '' then
  return members
end
local started = {members[1]}
for i = 2, #members do
  local _, member = lane_split(members[i])
  local split_at = string.find(member, ':', 1, true)
  local name, job_id = string.sub(member, 1, split_at - 1), string.sub(member, split_at + 1)
  started[#started + 1] = members[i]
  started[#started + 1] = start_job(job_key(ARGV[6], name, job_id, 'status'), wf_key(ARGV[6], job_id), ARGV[3], ARGV[7],
    ARGV[6], job_id, name)
end
return started
