-- Shared helpers, prepended to every script (LuaScripts.cs). Key names here mirror RedisKeys.cs (the one place
-- C# builds them); every key a script builds shares the run's {job_id} hash tag, so it is in the caller's slot.
-- Set by _lanes.lua, where a script includes it: enqueue_ready sends a limited job (its function given as '~<lane>')
-- into its lane there.
local lane_enqueue

local function job_key(prefix, name, job_id, suffix)
  return prefix .. ':' .. name .. ':{' .. job_id .. '}:' .. suffix
end

local function wf_key(prefix, job_id)
  return prefix .. ':{' .. job_id .. '}:wf'
end

-- Operator actions on a graph run (pause, resume, cancel), kept for the history archiver while MongoDB is on.
local function wf_log_key(prefix, job_id)
  return prefix .. ':{' .. job_id .. '}:wf_log'
end

-- A graph run changed (a node started or ended, an operator acted): its job_id on the channel P:events:runs, which
-- each API process subscribes to once and fans out to the console pages that show the run. Mirrors RedisKeys.RunsChannel.
-- One PUBLISH per node start and end, none for a single job.
local function publish_run_change(prefix, job_id)
  redis.call('PUBLISH', prefix .. ':events:runs', job_id)
end

-- Adds a job or run to its tenant's console index (RedisKeys.RecentJobs / RecentRuns, a stream whose ids order the
-- adds) and keeps about the newest 'bound': MAXLEN ~ drops whole stream nodes only, which costs next to nothing per add
-- (an exact trim or a sorted set costs twice the Redis CPU of the whole XADD).
local function index_add(key, member, bound)
  redis.call('XADD', key, 'MAXLEN', '~', bound, '*', 'm', member)
end

-- Appends the values of list 'more' to 'list'.
local function append(list, more)
  for _, v in ipairs(more) do
    list[#list + 1] = v
  end
  return list
end

-- A job's snapshot is the status hash's fields a read shows: SNAPSHOT_FIELDS in read_snapshot, in the order of
-- JobHash.SnapshotFields (C#), in which RedisReplies.ReadSnapshot reads the scripts' replies; a test fails when the two
-- drift apart. 'da' (the data_available text) is where the result comes from, shown only in state 3.
-- The places of the values read_snapshot returns, each named as its field: SNAPSHOT_FIELDS in their order, then
-- SNAPSHOT_EXTRAS (a test checks both against the lists). Places, not a table by field name: the HMGET reply is an
-- array already, and building a table by name cost every job_submit and job_finish several microseconds of Redis CPU
-- (measured: about a quarter more Redis CPU per no-op job).
local ST, TO, CMD, DATA, PRI, CT, UT, AT, ERR, WK, DA, RA, ERRS, PROG = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
local SNAPSHOT = PROG
local W, KIND, MA = SNAPSHOT + 1, SNAPSHOT + 2, SNAPSHOT + 3

-- Reads a job's snapshot fields, then SNAPSHOT_EXTRAS, in one HMGET of its status hash, at the places above (false when
-- absent; f[ST] is false when there is no such job). Without 'data' (job_finish: the done notification leaves the
-- input data out, and it can be large), its place reads 'st' again instead and holds false.
local function read_snapshot(status, without_data)
  -- The lists are built here, not beside the place constants: this file runs before every script, most of which read
  -- no snapshot, and two table constructors there doubled its cost.
  local SNAPSHOT_FIELDS = {'st', 'to', 'cmd', 'data', 'pri', 'ct', 'ut', 'at', 'err', 'wk', 'da', 'ra', 'errs', 'prog'}
  -- The other fields the scripts that read a snapshot need, read in the same HMGET after it: watched, kind, max attempts.
  local SNAPSHOT_EXTRAS = {'w', 'kind', 'ma'}
  -- The names to read: this call's SNAPSHOT_FIELDS, extended by SNAPSHOT_EXTRAS.
  append(SNAPSHOT_FIELDS, SNAPSHOT_EXTRAS)
  if without_data then
    SNAPSHOT_FIELDS[DATA] = SNAPSHOT_FIELDS[ST]
  end
  local f = redis.call('HMGET', status, unpack(SNAPSHOT_FIELDS))
  if without_data then
    f[DATA] = false
  end
  return f
end

-- A job as the scripts reply it: the snapshot's places of f (read_snapshot), with the result ('da') only in state 3.
local function snapshot_of(f)
  local out = {unpack(f, ST, SNAPSHOT)}
  if out[ST] ~= '3' then
    out[DA] = false
  end
  return out
end

-- A client long-polls the job (watch '1'): unless it has ended, its end is to be published on the done channel.
local function mark_watched(status, f, watch)
  if watch == '1' and f[ST] ~= '3' and f[ST] ~= '4' and not f[W] then
    redis.call('HSET', status, 'w', '1')
  end
end

-- Redis's clock in ms: the one clock every machine shares, for leases, waits and due times.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Retention '0' means keep: with MongoDB history on, a finished job's keys get their TTL from the controller's
-- archiver once the job is safely archived, never before.
local function keep_for(key, ret)
  if ret ~= '0' then
    redis.call('PEXPIRE', key, ret)
  end
end

local function split(text)
  local out = {}
  if not text or text == '' then
    return out
  end
  for part in string.gmatch(text, '[^,]+') do
    out[#out + 1] = part
  end
  return out
end

-- A finished job's data_available text lives in its status hash, field 'da'; a graph run's input (what 'start_job'
-- passes on) in the run's workflow hash, field 'start_data'. In a graph run, 'start_job' names that input.
local function stored_result(prefix, name, job_id, graph)
  if graph and name == 'start_job' then
    return redis.call('HGET', wf_key(prefix, job_id), 'start_data')
  end
  return redis.call('HGET', job_key(prefix, name, job_id, 'status'), 'da')
end

-- data_available holds '{"to":"<to>","result":<R>}', written only by ExeSys with a safe-charset <to> (no quotes),
-- so R is the text between the first '","result":' and the final brace.
local function result_of(stored)
  if not stored then
    return nil
  end
  local _, stop = string.find(stored, '","result":', 1, true)
  return string.sub(stored, stop + 1, -2)
end

-- What starting a job writes to its status hash: state 2, the attempt, the worker that runs it and when it started.
-- start_job writes it; so does job_submit.lua for a new job an idle worker takes at once.
local function start_fields(worker, now, attempt)
  return {'st', '2', 'at', attempt, 'wk', worker, 'sa', now, 'ut', now}
end

-- Move one leased job to state 2 (job_start.lua; queue_claim.lua on a single Redis, for each job it claims).
-- status and wf are the job's status and workflow hash keys, name its 'from'. Returns what job_start.lua returns.
-- The last value is the job's trace context: its own 'tp', or for a graph node its run's (the workflow hash's 'tp').
local function start_job(status, wf, worker, now, prefix, job_id, name)
  local f = redis.call('HMGET', status, 'st', 'to', 'cmd', 'data', 'at', 'ra', 'kind', 'pred', 'next', 'tmo', 'bo', 'du', 'stop', 'ct', 'ut', 'ma', 'tp')
  if not (f[1] == '0' or (f[1] == '1' and f[6])) then
    return {'skip', f[1] or ''}
  end
  if f[7] == 'n' then
    -- A graph node starts only while its run is running; while paused it is held, and resume enqueues it again.
    -- Its span's parent is its run's trace context ('tp'), read in the same call.
    local run = redis.call('HMGET', wf, 'state', 'tp')
    local state = run[1]
    f[17] = run[2]
    if state == 'paused' then
      redis.call('HSET', status, 'held', '1')
    end
    if state ~= 'running' then
      return {'skip', f[1]}
    end
  end
  local at = tonumber(f[5]) + 1
  redis.call('HSET', status, unpack(start_fields(worker, now, at)))
  if f[6] then
    redis.call('HDEL', status, 'ra')
  end
  if f[7] == 'n' then
    publish_run_change(prefix, job_id)
  end

  local preds = {}
  if f[7] == 'n' then
    preds = split(redis.call('HGET', wf, 'in:' .. name))
  elseif f[8] then
    preds = {f[8]}
  end
  local parts = {}
  for _, p in ipairs(preds) do
    local r = result_of(stored_result(prefix, p, job_id, f[7] == 'n'))
    if r then
      parts[#parts + 1] = '"' .. p .. '":' .. r
    end
  end
  -- For the worker's metrics, read in the same HMGET (no command more): when the job was submitted, since when it
  -- could start (a due retry or deferral: its 'ra'; else its last move to state 0: 'ut'), its max attempts, and
  -- whether a predecessor's end released it: the first attempt of a graph node with a predecessor other than
  -- start_job (whenever that predecessor ended, even in the submit's millisecond), or of a step-protocol step whose
  -- wait did not begin at its submit (one submitted after its predecessor ended starts as any job).
  local ready = f[6] or f[15] or ''
  local released = false
  if f[7] == 'n' then
    for _, p in ipairs(preds) do
      released = released or p ~= 'start_job'
    end
  else
    released = f[8] and ready ~= f[14]
  end
  local step = at == 1 and not f[6] and released and '1' or ''
  return {at, f[2], f[3], f[4], '{' .. table.concat(parts, ',') .. '}', f[9] or '', f[10] or '', f[11] or '', f[12] or '', f[13] or '',
    f[14] or '', ready, f[16] or '', step, f[17] or ''}
end

-- A queue's keys share its hash tag: 'base' is P:{queue} for the default queue, P:{queue:<name>} for a named one
-- (RedisKeys.QueueKeys). Its waiting jobs are split into one lane per function, base:ready:<fn> (score = queue order,
-- member = from:job_id), and base:lanes indexes the non-empty lanes: fn -> the score of its head (exact after a
-- claim, never later than the head after an enqueue: ZADD LT). A claim reads the heads of only the lanes its worker
-- offers (queue_claim.lua), so a job only ever goes to a worker that offers its function.
local function lane_key(base, fn)
  return base .. ':ready:' .. fn
end

-- ZADD NX the score/member/function triples items[first], items[first + 1], items[first + 2], ... (first defaults to
-- 1) onto their lanes (NX: an already-queued job keeps its place), and index each lane that received jobs. A lane that
-- was empty (not in the index) is announced on the wake channel as '1\n<fn>', so idle workers that offer fn claim.
-- Each lane's ZADD takes at most 1,333 jobs (4,000 values): unpack() takes at most 7,999 values (ScriptLimits.cs), and
-- a fan-out's promoted successors or a controller's recovered leases can be more. Returns how many were added.
local function enqueue_ready(base, channel, items, first)
  first = first or 1
  local last = #items
  if last < first + 2 then
    return 0
  end
  local lanes, order = {}, {}
  local added = 0
  for i = first, last - 2, 3 do
    local fn = items[i + 2]
    if lane_enqueue and string.byte(fn, 1) == 126 then
      -- A limited job: into its lane (_lanes.lua); a queue without them pays one byte compare per job here.
      added = added + lane_enqueue(base, channel, items[i], items[i + 1], string.sub(fn, 2))
    else
      local l = lanes[fn]
      if not l then
        l = {}
        lanes[fn] = l
        order[#order + 1] = fn
      end
      l[#l + 1] = items[i]
      l[#l + 1] = items[i + 1]
    end
  end
  local index = base .. ':lanes'
  for _, fn in ipairs(order) do
    local l = lanes[fn]
    local n = 0
    for i = 1, #l, 4000 do
      n = n + redis.call('ZADD', lane_key(base, fn), 'NX', unpack(l, i, math.min(i + 3999, #l)))
    end
    if n > 0 then
      local low = tonumber(l[1])
      for i = 3, #l, 2 do
        local s = tonumber(l[i])
        if s < low then
          low = s
        end
      end
      if redis.call('ZADD', index, 'LT', low, fn) == 1 then
        redis.call('PUBLISH', channel, '1\n' .. fn)
      end
    end
    added = added + n
  end
  return added
end

-- Take the freshest idle worker that offers the job's function: idle workers wait in one idle zset per offer
-- signature (base:idle:<sig>, a hash of the worker's function list), score = until when that wait counts. The caller
-- passes only the idle keys whose signature offers the function (from its cached view of the registry; a stale view
-- only misses a handoff). Nothing starts from a paused queue: each of its idle sets holds the marker '~paused' at
-- +inf, so an unpaused queue pays no command for the check. The job is leased on its behalf here (inflight, now +
-- lease_ms). Returns the worker's id, or nil when none waits (or the job is already leased: a re-send of a running
-- job, and the worker keeps waiting).
local function take_idle_worker(base, inflight, idles, lease_ms, member)
  for _, idle in ipairs(idles) do
    local waiting = redis.call('ZPOPMAX', idle)
    if waiting[1] == '~paused' then
      -- The queue is paused (queue_control.lua): its marker, scored +inf, is what ZPOPMAX meets first.
      redis.call('ZADD', idle, '+inf', '~paused')
      return nil
    elseif waiting[1] then
      local now = now_ms()
      if tonumber(waiting[2]) < now then
        -- The freshest wait has lapsed, so every other one in this set has too.
        redis.call('DEL', idle)
      elseif redis.call('ZADD', inflight, 'NX', now + tonumber(lease_ms), member) == 1 then
        return waiting[1]
      else
        redis.call('ZADD', idle, waiting[2], waiting[1])
        return nil
      end
    end
  end
  return nil
end

-- Enqueue score/member/function triples (items, from index 'first'), handing the first to an idle worker if one
-- waits in idles (take_idle_worker), announced on the wake channel as 'h\n<worker>\n<member>', so the worker starts it
-- without a claim round trip. The rest go onto their lanes. Returns how many went onto the lanes.
local function enqueue_or_hand_off(base, inflight, idles, channel, lease_ms, items, first)
  -- A limited job ('~<lane>' as its function) starts only through a claim, where its limits are checked.
  if items[first] and #idles > 0 and string.byte(items[first + 2], 1) ~= 126 then
    local worker = take_idle_worker(base, inflight, idles, lease_ms, items[first + 1])
    if worker then
      redis.call('PUBLISH', channel, 'h\n' .. worker .. '\n' .. items[first + 1])
      first = first + 3
    end
  end
  return enqueue_ready(base, channel, items, first)
end
