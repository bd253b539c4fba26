-- The position and entry time of a verified request id (read only; entry-of.lua is put in front).
-- KEYS[1] counters hash, KEYS[2] entry-time changes zset, KEYS[3] pre-queue arrival-time
-- changes zset, KEYS[4] the draw's ranks string.
-- ARGV[1] what the id carries (a position, or 'a' and an arrival number), ARGV[2] the era the
-- caller verified the id with.
-- Returns {position (0: pre-queued, not drawn yet), entryTime}, or '' when the id is not of this queue.
local position, entryTime = placeOf(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2])
if position == nil or entryTime == nil then return '' end
return {position, string.format('%d', entryTime)}
