-- Limits and concurrency keys (README "Limits and concurrency keys"), prepended after _common.lua to the queue scripts
-- that enqueue, claim, ack, renew or requeue (LuaScripts.cs). Every key here is in the queue's slot ('base', as in
-- _common.lua); the names mirror RedisKeys.cs (QueueLimits, LimitedLane, Parked, LimitSlots, RateLog).
--
-- A limited job (its function or its queue has a limit, or it carries a concurrency key) never waits in its
-- function's lane itself: it waits in its limited lane, base:lane:<lane>, where a lane is '<function>|<key>|<N>' (key
-- '' and N 0 without a concurrency key). Wherever such a job travels towards its lane (an enqueue, a retry in the
-- schedule, a requeue), its function is given as '~<lane>' (JobLanes.QueueFunction), which enqueue_ready sends here;
-- neither '~' nor '|' can occur in an id (JobIdentifiers). Its member stays from:job_id everywhere. The function's lane
-- base:ready:<fn> holds one token '~<lane>' for a limited lane whose jobs may start, scored as its earliest job, so a
-- claim meets it in queue order among the function's jobs; a limited lane at a limit is parked instead (base:parked,
-- score = when to look again). So a waiting limited job holds no worker and blocks nothing behind it, and a job
-- without a limit costs exactly what it did: no script looks at a limit unless it meets a '~' function or a token.
--
-- Scopes: 'q:<queue>' (the queue's limit), 'f:<function>' (the function's), 'k:<key>' (a concurrency key, N from the
-- lane). The limits of the first two are published in the hash base:limits as 'max|rate|period_ms' (0 = none).
-- A running limited job holds a slot in base:slots:<scope> (member -> its lease deadline, renewed with its lease), so a
-- slot of a crashed worker counts only until its lease runs out. Rate limits are a sliding log: base:rate:<scope> holds
-- the starts of the last period (score = start ms), at most 'rate' of them at once. base:limited holds the names of the
-- limited lanes with waiting jobs, so GET /queues counts their jobs (queue_stats.lua) without a scan.

-- The queue scope of the queue whose keys start with base: P:{queue} is 'default', P:{queue:<name>} is <name>.
local function queue_scope(base)
  return 'q:' .. (string.match(base, '{queue:(.*)}$') or 'default')
end

-- A lane's function, concurrency key ('' for none) and N.
local function lane_parts(lane)
  local fn, key, n = string.match(lane, '^([^|]*)|([^|]*)|(%d+)$')
  return fn, key, tonumber(n)
end

-- A lane member '~<lane>~<from:job_id>' (how a claim replies a limited job, and how a worker renews one): its lane and
-- member; a plain member gives nil and itself.
local function lane_split(m)
  if string.byte(m, 1) ~= 126 then
    return nil, m
  end
  local stop = string.find(m, '~', 2, true)
  return string.sub(m, 2, stop - 1), string.sub(m, stop + 1)
end

-- The scopes whose limits a lane's jobs are under: {scope, max concurrency, rate, period ms} (0 = no such limit).
local function lane_scopes(base, lane)
  local fn, key, n = lane_parts(lane)
  local names = {queue_scope(base), 'f:' .. fn}
  local defs = redis.call('HMGET', base .. ':limits', names[1], names[2])
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
local function lane_allowance(base, scopes, want, now)
  local k, again = want, nil
  local function full_until(at)
    if again == nil or at > again then
      again = at
    end
  end
  for _, s in ipairs(scopes) do
    if s[2] > 0 then
      local slots = base .. ':slots:' .. s[1]
      redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
      local free = s[2] - redis.call('ZCARD', slots)
      if free <= 0 then
        full_until(tonumber(redis.call('ZRANGE', slots, 0, 0, 'WITHSCORES')[2]))
      end
      k = math.min(k, free)
    end
    if s[3] > 0 then
      local log = base .. ':rate:' .. s[1]
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
local function lane_take(base, scopes, members, now, deadline)
  for _, s in ipairs(scopes) do
    local slots, starts = {}, {}
    for _, m in ipairs(members) do
      slots[#slots + 1] = deadline
      slots[#slots + 1] = m
      starts[#starts + 1] = now
      starts[#starts + 1] = m .. '@' .. now
    end
    if s[2] > 0 then
      redis.call('ZADD', base .. ':slots:' .. s[1], unpack(slots))
    end
    if s[3] > 0 then
      redis.call('ZADD', base .. ':rate:' .. s[1], unpack(starts))
      -- The log needs nothing older than one period; a scope nobody starts any more leaves no key behind.
      redis.call('PEXPIRE', base .. ':rate:' .. s[1], s[4])
    end
  end
end

-- The scopes a lane's job may hold a slot in, whatever the limits are now (a limit may have been removed meanwhile).
local function lane_slot_scopes(base, lane)
  local fn, key = lane_parts(lane)
  local out = {queue_scope(base), 'f:' .. fn}
  if key ~= '' then
    out[3] = 'k:' .. key
  end
  return out
end

-- A lane's token goes (back) into its function's lane at 'score', and the function's lane into the index; idle workers
-- that offer the function wake up.
local function lane_offer(base, channel, lane, score)
  local fn = lane_parts(lane)
  redis.call('ZADD', lane_key(base, fn), 'LT', score, '~' .. lane)
  redis.call('ZADD', base .. ':lanes', 'LT', score, fn)
  if channel then
    redis.call('PUBLISH', channel, '1\n' .. fn)
  end
end

-- A parked lane's token goes back, scored as its earliest job (dropped if the lane is empty). Returns 1 when it did.
local function lane_unpark(base, channel, token)
  redis.call('ZREM', base .. ':parked', token)
  local lane = string.sub(token, 2)
  local first = redis.call('ZRANGE', base .. ':lane:' .. lane, 0, 0, 'WITHSCORES')
  if first[1] then
    lane_offer(base, channel, lane, first[2])
    return 1
  end
  redis.call('SREM', base .. ':limited', lane)
  return 0
end

-- A lane's job no longer runs (acked, requeued, released): its slots free, and the lanes parked behind the scopes they
-- were in go back to their functions' lanes with a wake-up, so a waiting job starts as soon as capacity frees.
local function lane_release(base, channel, lane, member)
  for _, scope in ipairs(lane_slot_scopes(base, lane)) do
    redis.call('ZREM', base .. ':slots:' .. scope, member)
  end
  local parked = redis.call('ZRANGE', base .. ':parked', 0, -1)
  if #parked == 0 then
    return
  end
  local fn, key = lane_parts(lane)
  local queue_limited = redis.call('HEXISTS', base .. ':limits', queue_scope(base)) == 1
  for _, token in ipairs(parked) do
    local pfn, pkey = lane_parts(string.sub(token, 2))
    if queue_limited or pfn == fn or (key ~= '' and pkey == key) then
      lane_unpark(base, channel, token)
    end
  end
end

-- Parked lanes whose time has come (a rate window opened, a crashed worker's slot expired) go back.
local function lanes_unpark_due(base, channel, now)
  local due = redis.call('ZRANGEBYSCORE', base .. ':parked', '-inf', now, 'LIMIT', 0, 1000)
  for _, token in ipairs(due) do
    lane_unpark(base, channel, token)
  end
  return #due
end

-- A limited job joins its lane (ZADD NX: a queued job keeps its place); the lane's token goes into its function's
-- lane, unless the lane is parked. Returns 1 when the job was added.
lane_enqueue = function(base, channel, score, member, lane)
  if redis.call('ZADD', base .. ':lane:' .. lane, 'NX', score, member) == 0 then
    return 0
  end
  redis.call('SADD', base .. ':limited', lane)
  if not redis.call('ZSCORE', base .. ':parked', '~' .. lane) then
    lane_offer(base, channel, lane, score)
  end
  return 1
end

-- The claim's one place where limits are checked (called from lane_eligible's loop in queue_claim.lua): 'popped' is
-- what ZPOPMIN took off one function's lane (member, score, ...). Plain members stay. Each token takes as many of its
-- limited lane's jobs as its limits and the claim's room ('want') allow; a lane left with waiting jobs goes back into
-- the function's lane when it may start more, or is parked until it may.
-- Returns the items with the limited jobs taken (as lane members '~<lane>~from:job_id', with their scores), whether
-- the popped items held a token, and the earliest time a lane parked here may start again (nil when none was).
local function lanes_claim(base, fn_key, popped, want, now, deadline)
  local tokens = nil
  for i = 1, #popped, 2 do
    if string.byte(popped[i], 1) == 126 then
      tokens = {}
      break
    end
  end
  if not tokens then
    return popped, false, nil
  end
  local out = {}
  for i = 1, #popped, 2 do
    if string.byte(popped[i], 1) == 126 then
      tokens[#tokens + 1] = {popped[i], popped[i + 1]}
    else
      out[#out + 1] = popped[i]
      out[#out + 1] = popped[i + 1]
    end
  end
  local room = want - #out / 2
  local again = nil
  for _, t in ipairs(tokens) do
    local token = t[1]
    local lane = string.sub(token, 2)
    local lane_jobs = base .. ':lane:' .. lane
    if room <= 0 then
      redis.call('ZADD', fn_key, t[2], token)
    else
      local scopes = lane_scopes(base, lane)
      local k = lane_allowance(base, scopes, room, now)
      if k > 0 then
        local got = redis.call('ZPOPMIN', lane_jobs, k)
        local taken = {}
        for j = 1, #got, 2 do
          taken[#taken + 1] = got[j]
          out[#out + 1] = '~' .. lane .. '~' .. got[j]
          out[#out + 1] = got[j + 1]
        end
        if #taken > 0 then
          lane_take(base, scopes, taken, now, deadline)
          room = room - #taken
        end
      end
      local first = redis.call('ZRANGE', lane_jobs, 0, 0, 'WITHSCORES')
      if first[1] then
        local more, at = lane_allowance(base, scopes, 1, now)
        if more > 0 or at == nil then
          redis.call('ZADD', fn_key, first[2], token)
        else
          redis.call('ZADD', base .. ':parked', at, token)
          if again == nil or at < again then
            again = at
          end
        end
      else
        redis.call('SREM', base .. ':limited', lane)
      end
    end
  end
  return out, true, again
end

-- Extends the slots of running limited jobs to their new lease deadline (lane_members: '~<lane>~<member>').
local function lanes_renew(base, lane_members, deadline)
  for _, lm in ipairs(lane_members) do
    local lane, member = lane_split(lm)
    for _, scope in ipairs(lane_slot_scopes(base, lane)) do
      redis.call('ZADD', base .. ':slots:' .. scope, 'XX', deadline, member)
    end
  end
end
