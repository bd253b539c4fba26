-- Queue-position expiry state of one request id (read only; entry-of.lua is put in front).
-- KEYS[1] counters hash, KEYS[2] entry-time changes zset, KEYS[3] sessions hash,
-- KEYS[4] history zset, KEYS[5] history rows hash. ARGV[1] requestId, ARGV[2] now,
-- ARGV[3] expiry ('' = off), ARGV[4] the position the id carries, ARGV[5] the era its MAC was
-- verified with.
-- Returns {'unknown'} | {'off'} | {'claimed'} | {'not_served'} | {'expired'} | {'running', expiresIn}.
local requestId, now = ARGV[1], tonumber(ARGV[2])
local entryTime = entryOf(KEYS[1], KEYS[2], ARGV[4], ARGV[5])
if not entryTime then return {'unknown'} end
if ARGV[3] == '' then return {'off'} end
if redis.call('HEXISTS', KEYS[3], requestId) == 1 then return {'claimed'} end

local position = tonumber(ARGV[4])
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
