-- One periodic inlet tick: record tick ARGV[4] and move the serving counter by ARGV[1] in
-- one atomic step, or change nothing when ARGV[4] is not above the last tick recorded (a
-- second scheduler, a retry). Lua scripts cannot include each other, so redis-store.ts
-- loads this file followed by increment-serving.lua as ONE script: once the tick is
-- recorded, the rest is incrementServingCounter (same clamping, cap and history) with
-- ARGV[5] = 'queue': the counter never moves past the last position assigned, so ticks
-- while nobody waits do not bank admissions for the next crowd.
-- KEYS[1..3] and ARGV[1..3] as increment-serving.lua; KEYS[4] last periodic tick (string,
-- under the same {eventId} hash tag); ARGV[4] tick (epoch second the tick began);
-- ARGV[5] 'queue' (see increment-serving.lua).
-- Returns nil (tick already taken, nothing changed) or {serving before, serving after} (the
-- same value twice when nobody new is queued: the tick is recorded as taken all the same).
-- KEYS[5..7] and ARGV[7..8] (absent visitors): as increment-serving.lua.
local lastTick = redis.call('GET', KEYS[4])
if lastTick and tonumber(ARGV[4]) <= tonumber(lastTick) then return false end
redis.call('SET', KEYS[4], ARGV[4])
