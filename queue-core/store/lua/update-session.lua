-- End an active session once: active -> completed / abandoned.
-- KEYS[1] counters hash, KEYS[2] sessions hash, KEYS[3] active sessions zset.
-- ARGV[1] requestId, ARGV[2] 'c' (completed) or 'x' (abandoned).
-- Returns the updated record, or false when unknown or already ended.
local requestId, status = ARGV[1], ARGV[2]
local record = redis.call('HGET', KEYS[2], requestId)
if not record then return false end
local head, current, issuer = string.match(record, '^(%d+:%-?%d+:%-?%d+):(%a):(.*)$')
if current ~= 'a' then return false end

local updated = head .. ':' .. status .. ':' .. issuer
redis.call('HSET', KEYS[2], requestId, updated)
redis.call('ZREM', KEYS[3], requestId)
redis.call('HINCRBY', KEYS[1], status == 'c' and 'completed' or 'abandoned', 1)
return updated
