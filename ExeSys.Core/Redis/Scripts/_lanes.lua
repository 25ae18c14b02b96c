-- Limits and concurrency keys (README "Limits and concurrency keys"), prepended after _common.lua to the queue scripts
-- that enqueue, claim, ack, renew or requeue (LuaScripts.cs). Every key here is in the queue's slot; the names mirror
-- RedisKeys.cs (QueueLimits, Lane, Parked, LimitSlots, RateLog).
--
-- A limited job (its function or its queue has a limit, or it carries a concurrency key) never waits on the ready queue
-- itself: it waits in its lane, P:{queue}:lane:<lane>, a sorted set like ready. A lane is '<function>|<key>|<N>' (key
-- '' and N 0 without a concurrency key). Wherever such a job travels towards the ready queue (an enqueue, a retry in
-- the schedule, a requeue) its member is the lane member '~<lane>~<from>:<job_id>', which enqueue_ready sends into the
-- lane; neither '~' nor '|' can occur in an id (JobIdentifiers). The ready queue holds one token '~<lane>' for a lane
-- whose jobs may start, scored as its earliest job, so a claim meets it in queue order; a lane at a limit is parked
-- instead (P:{queue}:parked, score = when to look again). So a waiting limited job holds no worker and blocks nothing
-- behind it, and a job without a limit costs exactly what it did: no script looks at a limit unless it meets a lane
-- member or a token.
--
-- Scopes: 'q:<queue>' (the queue's limit), 'f:<function>' (the function's), 'k:<key>' (a concurrency key, N from the
-- lane). The limits of the first two are published in the hash P:{queue}:limits as 'max|rate|period_ms' (0 = none).
-- A running limited job holds a slot in P:{queue}:slots:<scope> (member -> its lease deadline, renewed with its lease),
-- so a slot of a crashed worker counts only until its lease runs out. Rate limits are a sliding log:
-- P:{queue}:rate:<scope> holds the starts of the last period (score = start ms); at most 'rate' of them at once.

-- The queue this file's queue scope names (one queue: the default).
local QUEUE_SCOPE = 'q:default'

-- 'P:{queue}:ready' (or any other key of the queue) -> 'P:{queue}': the prefix of the queue's keys.
local function queue_keys_of(key)
  return string.match(key, '^(.*):[^:]*$')
end

-- A lane member's lane and plain member; a plain member gives nil and itself.
local function lane_split(m)
  if string.byte(m, 1) ~= 126 then
    return nil, m
  end
  local stop = string.find(m, '~', 2, true)
  return string.sub(m, 2, stop - 1), string.sub(m, stop + 1)
end

local function lane_parts(lane)
  local fn, key, n = string.match(lane, '^([^|]*)|([^|]*)|(%d+)$')
  return fn, key, tonumber(n)
end

-- The scopes whose limits a lane's jobs are under: {scope, max concurrency, rate, period ms} (0 = no such limit).
local function lane_scopes(qk, lane)
  local fn, key, n = lane_parts(lane)
  local names = {QUEUE_SCOPE, 'f:' .. fn}
  local defs = redis.call('HMGET', qk .. ':limits', names[1], names[2])
  local scopes = {}
  for i = 1, 2 do
    if defs[i] then
      local c, r, p = string.match(defs[i], '^(%d+)|(%d+)|(%d+)$')
      scopes[#scopes + 1] = {names[i], tonumber(c), tonumber(r), tonumber(p)}
    end
  end
  if key ~= '' then
    scopes[#scopes + 1] = {'k:' .. key, n, 0, 0}
  end
  return scopes
end

-- How many more jobs (at most want) a lane under these scopes may start now, and, when none, from when it may again:
-- the earliest slot deadline (a crashed worker's slot counts until then) or the rate window's next opening, the later
-- of them when several scopes are full. Expired slots and rate entries older than the period go first.
local function lane_allowance(qk, scopes, want, now)
  local k, again = want, nil
  local function full_until(at)
    if again == nil or at > again then
      again = at
    end
  end
  for _, s in ipairs(scopes) do
    if s[2] > 0 then
      local slots = qk .. ':slots:' .. s[1]
      redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
      local free = s[2] - redis.call('ZCARD', slots)
      if free <= 0 then
        full_until(tonumber(redis.call('ZRANGE', slots, 0, 0, 'WITHSCORES')[2]))
      end
      k = math.min(k, free)
    end
    if s[3] > 0 then
      local log = qk .. ':rate:' .. s[1]
      redis.call('ZREMRANGEBYSCORE', log, '-inf', now - s[4])
      local free = s[3] - redis.call('ZCARD', log)
      if free <= 0 then
        full_until(tonumber(redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')[2]) + s[4])
      end
      k = math.min(k, free)
    end
  end
  if k < 0 then
    k = 0
  end
  return k, again
end

-- The jobs (plain members) start now: each takes a slot until deadline and a rate entry in every scope that has them.
local function lane_take(qk, scopes, members, now, deadline)
  for _, s in ipairs(scopes) do
    local slots, starts = {}, {}
    for _, m in ipairs(members) do
      slots[#slots + 1] = deadline
      slots[#slots + 1] = m
      starts[#starts + 1] = now
      starts[#starts + 1] = m .. '@' .. now
    end
    if s[2] > 0 then
      redis.call('ZADD', qk .. ':slots:' .. s[1], unpack(slots))
    end
    if s[3] > 0 then
      redis.call('ZADD', qk .. ':rate:' .. s[1], unpack(starts))
      -- The log needs nothing older than one period; a lane nobody claims any more leaves no key behind.
      redis.call('PEXPIRE', qk .. ':rate:' .. s[1], s[4])
    end
  end
end

-- The scopes a lane's job may hold a slot in, whatever the limits are now (a limit may have been removed meanwhile).
local function lane_slot_scopes(lane)
  local fn, key = lane_parts(lane)
  local out = {QUEUE_SCOPE, 'f:' .. fn}
  if key ~= '' then
    out[3] = 'k:' .. key
  end
  return out
end

-- A parked lane's token goes back to the ready queue, scored as its earliest job (dropped if the lane is empty).
-- Returns 1 when it went back.
local function lane_unpark(qk, ready, token)
  redis.call('ZREM', qk .. ':parked', token)
  local first = redis.call('ZRANGE', qk .. ':lane:' .. string.sub(token, 2), 0, 0, 'WITHSCORES')
  if first[1] then
    redis.call('ZADD', ready, 'LT', first[2], token)
    return 1
  end
  return 0
end

-- Publishes the wake-up when tokens went back onto a ready queue that was empty.
local function lanes_wake(ready, channel, was_empty, moved)
  if moved > 0 and was_empty and channel then
    redis.call('PUBLISH', channel, '1')
  end
end

-- A lane's job no longer runs (acked, requeued, released): its slots free, and the lanes parked behind the scopes
-- they were in go back to the ready queue, so a waiting job starts as soon as capacity frees.
local function lane_release(qk, ready, channel, lane, member)
  local scopes = lane_slot_scopes(lane)
  for _, scope in ipairs(scopes) do
    redis.call('ZREM', qk .. ':slots:' .. scope, member)
  end
  local parked = redis.call('ZRANGE', qk .. ':parked', 0, -1)
  if #parked == 0 then
    return
  end
  local fn, key = lane_parts(lane)
  local queue_limited = redis.call('HEXISTS', qk .. ':limits', QUEUE_SCOPE) == 1
  local was_empty = redis.call('EXISTS', ready) == 0
  local moved = 0
  for _, token in ipairs(parked) do
    local pfn, pkey = lane_parts(string.sub(token, 2))
    if queue_limited or pfn == fn or (key ~= '' and pkey == key) then
      moved = moved + lane_unpark(qk, ready, token)
    end
  end
  lanes_wake(ready, channel, was_empty, moved)
end

-- Parked lanes whose time has come (a rate window opened, a crashed worker's slot expired) go back to the ready queue.
local function lanes_unpark_due(qk, ready, channel, now)
  local due = redis.call('ZRANGEBYSCORE', qk .. ':parked', '-inf', now, 'LIMIT', 0, 1000)
  if #due == 0 then
    return 0
  end
  local was_empty = redis.call('EXISTS', ready) == 0
  local moved = 0
  for _, token in ipairs(due) do
    moved = moved + lane_unpark(qk, ready, token)
  end
  lanes_wake(ready, channel, was_empty, moved)
  return moved
end

-- A limited job joins its lane (ZADD NX: a queued job keeps its place); the lane's token goes onto the ready queue,
-- unless the lane is parked. Returns 1 when the job was added, and 1 when the token went onto the ready queue.
lane_enqueue = function(ready, score, lane_member)
  local lane, member = lane_split(lane_member)
  local qk = queue_keys_of(ready)
  if redis.call('ZADD', qk .. ':lane:' .. lane, 'NX', score, member) == 0 then
    return 0, 0
  end
  local token = '~' .. lane
  if redis.call('ZSCORE', qk .. ':parked', token) then
    return 1, 0
  end
  redis.call('ZADD', ready, 'LT', score, token)
  return 1, 1
end

-- The claim's one place where lanes are checked: 'items' is what ZPOPMIN took off the ready queue (member, score, ...).
-- Plain members stay. Each lane token takes as many of its lane's jobs as its limits and the claim's room allow; a
-- lane left with waiting jobs goes back to the ready queue when it may start more, or is parked until it may.
-- Returns the items with the lane jobs taken (as lane members, with their scores), and the earliest time a lane parked
-- here may start again (nil when none was parked).
local function lanes_claim(ready, items, max, now, deadline)
  local has_token = false
  for i = 1, #items, 2 do
    if string.byte(items[i], 1) == 126 then
      has_token = true
      break
    end
  end
  if not has_token then
    return items, nil
  end
  local qk = queue_keys_of(ready)
  local out, tokens = {}, {}
  for i = 1, #items, 2 do
    if string.byte(items[i], 1) == 126 then
      tokens[#tokens + 1] = {items[i], items[i + 1]}
    else
      out[#out + 1] = items[i]
      out[#out + 1] = items[i + 1]
    end
  end
  local room = max - #out / 2
  local again = nil
  for _, t in ipairs(tokens) do
    local token = t[1]
    local lane = string.sub(token, 2)
    local lane_key = qk .. ':lane:' .. lane
    if room <= 0 then
      redis.call('ZADD', ready, t[2], token)
    else
      local scopes = lane_scopes(qk, lane)
      local k = lane_allowance(qk, scopes, room, now)
      if k > 0 then
        local got = redis.call('ZPOPMIN', lane_key, k)
        local taken = {}
        for j = 1, #got, 2 do
          taken[#taken + 1] = got[j]
          out[#out + 1] = '~' .. lane .. '~' .. got[j]
          out[#out + 1] = got[j + 1]
        end
        if #taken > 0 then
          lane_take(qk, scopes, taken, now, deadline)
          room = room - #taken
        end
      end
      local first = redis.call('ZRANGE', lane_key, 0, 0, 'WITHSCORES')
      if first[1] then
        local more, at = lane_allowance(qk, scopes, 1, now)
        if more > 0 or at == nil then
          redis.call('ZADD', ready, first[2], token)
        else
          redis.call('ZADD', qk .. ':parked', at, token)
          if again == nil or at < again then
            again = at
          end
        end
      end
    end
  end
  return out, again
end

-- Extends the slots of running lane jobs to their new lease deadline (lane_members: '~<lane>~<member>').
local function lanes_renew(inflight, lane_members, deadline)
  local qk = queue_keys_of(inflight)
  for _, lm in ipairs(lane_members) do
    local lane, member = lane_split(lm)
    for _, scope in ipairs(lane_slot_scopes(lane)) do
      redis.call('ZADD', qk .. ':slots:' .. scope, 'XX', deadline, member)
    end
  end
end
