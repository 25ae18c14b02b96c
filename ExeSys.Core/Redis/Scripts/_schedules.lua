-- A schedule's own keys, mirroring RedisKeys.ScheduleKeys (Schedule, Runs): the schedules' base P:{schedules} is
-- their slot, so these are in the caller's slot. Prepended to the schedule_*.lua scripts only (LuaScripts.cs).
local function schedule_key(base, name)
  return base .. ':s:' .. name
end

local function runs_key(base, name)
  return base .. ':runs:' .. name
end
