-- Read one job. One job slot: KEYS[1] status hash (its data_available text in field 'da').
-- ARGV: watch (1 = publish on finish)
-- Returns false | the job's snapshot (snapshot_of in _common.lua: st, to, cmd, data, pri, ct, ut, at, err, wk, result,
-- retry_at, errors, progress)
local f = read_snapshot(KEYS[1])
if not f[ST] then
  return false
end
mark_watched(KEYS[1], f, ARGV[1])
return snapshot_of(f)
