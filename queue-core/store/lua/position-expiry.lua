-- Queue-position expiry state of one request id (read only; entry-of.lua is put in front).
-- KEYS[1] counters hash, KEYS[2] entry-time changes zset, KEYS[3] sessions hash,
-- KEYS[4] history zset, KEYS[5] history rows hash, KEYS[6] pre-queue arrival-time changes
-- zset, KEYS[7] the draw's ranks string. ARGV[1] requestId, ARGV[2] now, ARGV[3] expiry
-- ('' = off), ARGV[4] what the id carries (a position, or 'a' and a pre-queue arrival number),
-- ARGV[5] the era its MAC was verified with, ARGV[6] '1': the event counts present visitors,
-- KEYS[8] its present positions zset (increment-serving.lua).
-- Returns {'unknown'} | {'off'} | {'claimed'} | {'not_served'} | {'expired'} | {'running', expiresIn}
-- | {'passed'} (presence: reached while its visitor was absent, not let in yet, not expired).
local requestId, now = ARGV[1], tonumber(ARGV[2])
local position, entryTime = placeOf(KEYS[1], KEYS[2], KEYS[6], KEYS[7], ARGV[4], ARGV[5])
if not position or not entryTime then return {'unknown'} end
local passed = false
if ARGV[6] == '1' and position > 0 then
  local presence = redis.call('HMGET', KEYS[1], 'serving', 'presenceFrom')
  passed = presence[2] and position > tonumber(presence[2]) and position <= tonumber(presence[1] or '0') and
    redis.call('HEXISTS', KEYS[3], requestId) == 0 and not redis.call('ZSCORE', KEYS[8], position)
end
if ARGV[3] == '' then
  if passed then return {'passed'} end
  return {'off'}
end
if redis.call('HEXISTS', KEYS[3], requestId) == 1 then return {'claimed'} end
if position == 0 then return {'not_served'} end -- waits for the draw
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
if passed then return {'passed'} end
return {'running', expiry - elapsed}
