-- One periodic inlet tick: record tick ARGV[4] and move the serving counter by ARGV[1] in
-- one atomic step, or change nothing when ARGV[4] is not above the last tick recorded (a
-- second scheduler, a retry). Lua scripts cannot include each other, so redis-store.ts
-- loads this file followed by increment-serving.lua as ONE script: once the tick is
-- recorded, the rest is exactly incrementServingCounter (same clamping, cap and history).
-- KEYS[1..3] and ARGV[1..3] as increment-serving.lua; KEYS[4] last periodic tick (string,
-- under the same {eventId} hash tag); ARGV[4] tick (epoch second the tick began).
-- Returns nil (tick already taken, nothing changed) or the new serving counter.
local lastTick = redis.call('GET', KEYS[4])
if lastTick and tonumber(ARGV[4]) <= tonumber(lastTick) then return false end
redis.call('SET', KEYS[4], ARGV[4])
