-- The entry time of a verified request id (read only; entry-of.lua is put in front).
-- KEYS[1] counters hash, KEYS[2] entry-time changes zset.
-- ARGV[1] position, ARGV[2] the era the caller verified the id with.
-- Returns the entry time, or '' when the id is not of this queue.
local entryTime = entryOf(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
if entryTime == nil then return '' end
return string.format('%d', entryTime)
