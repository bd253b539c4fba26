-- Queue-position expiry state of one request id (read only).
-- KEYS[1] counters hash, KEYS[2] entries hash, KEYS[3] sessions hash, KEYS[4] history zset,
-- KEYS[5] history rows hash. ARGV[1] requestId, ARGV[2] now, ARGV[3] expiry ('' = off).
-- Returns {'unknown'} | {'off'} | {'claimed'} | {'not_served'} | {'expired'} | {'running', expiresIn}.
local requestId, now = ARGV[1], tonumber(ARGV[2])
local entry = redis.call('HGET', KEYS[2], requestId)
if not entry then return {'unknown'} end
if ARGV[3] == '' then return {'off'} end
if redis.call('HEXISTS', KEYS[3], requestId) == 1 then return {'claimed'} end

local position, entryTime = string.match(entry, '^(%d+):(%-?%d+)$')
position, entryTime = tonumber(position), tonumber(entryTime)
local counters = redis.call('HMGET', KEYS[1], 'serving', 'maxExpiredPosition')
if position > tonumber(counters[1] or '0') then return {'not_served'} end
if position <= tonumber(counters[2] or '0') then return {'expired'} end

local reference = entryTime
local covering = redis.call('ZRANGEBYSCORE', KEYS[4], position, '+inf', 'LIMIT', 0, 1)[1]
if covering then
  local reached = tonumber(string.match(redis.call('HGET', KEYS[5], covering), '^(%-?%d+):'))
  if reached > reference then reference = reached end
end
local expiry = tonumber(ARGV[3])
local elapsed = now - reference
if elapsed > expiry then return {'expired'} end
return {'running', expiry - elapsed}
