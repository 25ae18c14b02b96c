-- Submit-if-new. One job slot: KEYS[1] status hash, KEYS[2] the run's workflow hash,
-- KEYS[3] (only with MongoDB history on) the job's archive tombstone: {'archived'} means the job finished and has left
-- Redis for MongoDB, where the caller reads it; a new job is never created over it.
-- ARGV: to, cmd, data, priority, now_ms, watch (1 = publish on finish), step (1 = 'Operation: workflow' header),
--       max_attempts, retention_ms, from, queue (the queue a submit named, kept as field 'q'; '' = its function's
--       routed queue, which every process computes from the configuration), lane ('' = none: the job has no limit;
--       else it is kept as 'ln', goes into its limited lane, and starts only through a claim, where its limits are
--       checked, never by an idle worker here: see _lanes.lua), run_at (Unix ms on Redis's clock; '' = now: a delayed
--       job is created in standby, state 1, with 'ra' = run_at, the field a retry waits on, and the caller puts it in its
--       queue's scheduled set, where the controller's queue_due.lua moves it onto its lane when due),
--       traceparent (the submit's W3C trace context, kept as field 'tp', which the worker parents the run's span with;
--       '' = none),
--       then, only on a single Redis (not a cluster: these keys are in the queue's slot), where the job's queue keys
--       start in KEYS (lanes index, inflight, then the idle sets whose workers offer cmd), the wake channel, the lease
--       ms, the queue score, the member (from:job_id) and the queue base: a new job in state 0 is then enqueued here
--       onto its function's lane, as queue_enqueue.lua would, saving the second round trip. (An existing job in state
--       0, whose enqueue may have been lost, is healed by the caller with its own priority.)
--       A new single job (not a workflow step) that goes to an idle worker offering cmd is started here: state 2,
--       attempt 1, leased to that worker, and published on the worker's own channel (wake channel .. ':' .. worker) as
--       '<member>\n<to>\n<cmd>\n<traceparent>\n<data>', so the worker runs it without a job_start round trip.
--       Then, where the caller indexes a new job for the console in this script (a single Redis: RedisJobIndex), ARGV[15..20]
--       are present ('' when there are no queue keys), ARGV[21] is where the tenant's recent-jobs index is in KEYS (after
--       the tombstone, before the queue keys), ARGV[22] the member (from:job_id), ARGV[23] the bound it keeps
--       about to. '' or absent ARGV[21]: no index here.
-- Returns {'new', st, error (when the chain already failed upstream), worker (when an idle worker took it)} |
--         {'conflict', <snapshot without the result>} | {'existing', <snapshot>}, the snapshot as snapshot_of in
--         _common.lua makes it: st, to, cmd, data, pri, ct, ut, at, err, wk, result, retry_at, errors (JSON array of
--         every attempt's error), progress (a runner's latest intermediate result)
-- Where the queue keys start in KEYS, when the caller gave them (see ARGV above); the tombstone, when given, is
-- KEYS[3] and the queue keys follow it.
local q = tonumber(ARGV[15])
local ix = tonumber(ARGV[21])
local tombstone = (q == nil or q > 3) and ix ~= 3 and KEYS[3] or nil

-- The idle sets the caller gave: those whose workers offer cmd.
local function idle_sets()
  local idles = {}
  for i = q + 2, #KEYS do
    idles[#idles + 1] = KEYS[i]
  end
  return idles
end

-- With the queue keys: a new single job goes to an idle worker that offers cmd, if one waits, already started.
local function started_by_idle_worker()
  if q and ARGV[7] ~= '1' and ARGV[12] == '' then
    return take_idle_worker(ARGV[20], KEYS[q + 1], idle_sets(), ARGV[17], ARGV[19])
  end
  return nil
end

-- The function the job waits under: a limited job's is its limited lane, '~<lane>' (_lanes.lua).
local queue_fn = ARGV[12] ~= '' and '~' .. ARGV[12] or ARGV[2]

-- Enqueues the job in the same script when the caller gave the queue keys: a single job that no idle worker took
-- goes onto its lane; a workflow step may still go to an idle worker, as a handoff it starts itself.
local function enqueue_here()
  if q and ARGV[7] ~= '1' then
    enqueue_ready(ARGV[20], ARGV[16], {ARGV[18], ARGV[19], queue_fn})
  elseif q then
    enqueue_or_hand_off(ARGV[20], KEYS[q + 1], idle_sets(), ARGV[16], ARGV[17], {ARGV[18], ARGV[19], queue_fn}, 1)
  end
end

local f = read_snapshot(KEYS[1])
if not f[ST] then
  if tombstone and redis.call('EXISTS', tombstone) == 1 then
    return {'archived'}
  end
  local st, pred, err = '0', false, false
  local run_at = ARGV[13] ~= '' and ARGV[13] or false
  if run_at then
    st = '1'
  elseif ARGV[7] == '1' then
    -- A workflow step runs once the step before it (the one whose 'to' names this step) has finished.
    local w = redis.call('HMGET', KEYS[2], 'reached:' .. ARGV[10], 'failed:' .. ARGV[10])
    if w[2] then
      st, err = '4', w[2]
    elseif w[1] then
      pred = w[1]
    else
      st = '1'
    end
  end
  local worker = st == '0' and started_by_idle_worker() or nil
  local fields = {'to', ARGV[1], 'cmd', ARGV[2], 'data', ARGV[3], 'pri', ARGV[4], 'ct', ARGV[5], 'ma', ARGV[8]}
  if worker then
    -- Its first attempt starts here, in the same HSET that creates it.
    append(fields, start_fields(worker, ARGV[5], 1))
  else
    append(fields, {'st', st, 'at', '0', 'ut', ARGV[5]})
  end
  if ARGV[6] == '1' then table.insert(fields, 'w'); table.insert(fields, '1') end
  if ARGV[11] ~= '' then table.insert(fields, 'q'); table.insert(fields, ARGV[11]) end
  if ARGV[12] ~= '' then table.insert(fields, 'ln'); table.insert(fields, ARGV[12]) end
  if run_at then table.insert(fields, 'ra'); table.insert(fields, run_at) end
  if ARGV[14] ~= '' then table.insert(fields, 'tp'); table.insert(fields, ARGV[14]) end
  if pred then table.insert(fields, 'pred'); table.insert(fields, pred) end
  if err then
    table.insert(fields, 'err'); table.insert(fields, err)
    table.insert(fields, 'ft'); table.insert(fields, ARGV[5])
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  if ix then
    index_add(KEYS[ix], ARGV[22], ARGV[23])
  end
  if err then
    -- The chain already failed upstream: this step fails too, and so will the one it leads to.
    keep_for(KEYS[1], ARGV[9])
    if ARGV[1] ~= 'end_job' then
      redis.call('HSET', KEYS[2], 'failed:' .. ARGV[1], err)
      keep_for(KEYS[2], ARGV[9])
    end
  end
  if worker then
    redis.call('PUBLISH', ARGV[16] .. ':' .. worker, ARGV[19] .. '\n' .. ARGV[1] .. '\n' .. ARGV[2] .. '\n' .. ARGV[14] .. '\n' .. ARGV[3])
    return {'new', '2', false, worker}
  end
  if st == '0' then
    enqueue_here()
  end
  return {'new', st, err}
end
if f[TO] ~= ARGV[1] or f[CMD] ~= ARGV[2] or f[DATA] ~= ARGV[3] then
  -- Another job holds the name: it is shown, but not its result.
  f[DA] = false
  return {'conflict', unpack(snapshot_of(f))}
end
mark_watched(KEYS[1], f, ARGV[6])
return {'existing', unpack(snapshot_of(f))}
