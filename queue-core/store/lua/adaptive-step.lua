-- One adaptive inlet step: store the controller's new state and admit, in one atomic step,
-- or change nothing when another process stepped since the caller read the state (its
-- version moved on). Lua scripts cannot include each other, so redis-store.ts loads this
-- file followed by increment-serving.lua as ONE script: once the state is stored, the rest
-- is incrementServingCounter with ARGV[5] = 'queue' (an increase never passes the last
-- position assigned, so admissions nobody is queued for are not banked).
-- KEYS[1..3] and ARGV[1..3] as increment-serving.lua; KEYS[4] the inlet state hash (fields
-- v: version, s: state JSON; under the same {eventId} hash tag); ARGV[4] the version the
-- caller read ('0' when none was stored); ARGV[5] 'queue'; ARGV[6] the new state.
-- Returns nil (the version moved on: nothing changed) or {serving before, serving after}.
-- KEYS[5..7] and ARGV[7..8] (absent visitors): as increment-serving.lua.
local version = redis.call('HGET', KEYS[4], 'v') or '0'
if version ~= ARGV[4] then return false end
redis.call('HSET', KEYS[4], 'v', string.format('%d', tonumber(version) + 1), 's', ARGV[6])
