-- A schedule's own keys, mirroring RedisKeys.ScheduleKeys (Schedule, Runs): the schedules' base P:{schedules} is
-- their slot, so these are in the caller's slot. Prepended to the schedule_*.lua scripts only (LuaScripts.cs).
local function schedule_key(base, name)
  return base .. ':s:' .. name
end

local function runs_key(base, name)
  return base .. ':runs:' .. name
end

-- The name index a schedule is listed in, mirroring RedisScheduleStore.ListAsync: the default tenant's names
-- (no '~') in names_key, every other tenant's qualified names (<tenant>~<name>) in tenant_names_key, where each
-- tenant's are one lex range.
local function names_index(names_key, tenant_names_key, name)
  if string.find(name, '~', 1, true) then
    return tenant_names_key
  end
  return names_key
end
