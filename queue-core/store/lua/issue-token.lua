-- Issue the session of a request id (first time) or return the stored one: one atomic step
-- (entry-of.lua is put in front).
-- KEYS[1] counters hash, KEYS[2] entry-time changes zset, KEYS[3] sessions hash
-- (requestId -> "position:issuedAt:expiresAt:status:issuer"), KEYS[4] active sessions zset
-- (by expiresAt), KEYS[5] all sessions zset (by expiresAt), KEYS[6] history zset,
-- KEYS[7] history rows hash, KEYS[8] all sessions zset by position, KEYS[9] pre-queue
-- arrival-time changes zset, KEYS[10] the draw's ranks string, KEYS[11] present positions zset
-- (increment-serving.lua), KEYS[12] the loss hold's sessions zset (hold-sessions.lua).
-- ARGV[1] requestId, ARGV[2] now, ARGV[3] validity seconds, ARGV[4] issuer,
-- ARGV[5] expiry seconds ('' = off), ARGV[6] max active ('' = no limit), ARGV[7] what the
-- request id carries (a position, or 'a' and a pre-queue arrival number), ARGV[8] the era its
-- MAC was verified with, ARGV[9] '1': the event counts present visitors (a reached position
-- is admitted only when the inlet let it in: it is in KEYS[11]).
-- Returns {'unknown'} | {'not_yet', position, serving} | {'existing', record} |
-- {'position_expired'} | {'full', position, serving} | {'issued', record} |
-- {'prequeue'} (a pre-queued id not drawn yet, or any id while the event's draw is running).
local requestId, now, validity, issuer = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]

local position, entryTime = placeOf(KEYS[1], KEYS[2], KEYS[9], KEYS[10], ARGV[7], ARGV[8])
if not position or not entryTime then return {'unknown'} end
if position == 0 or redis.call('HGET', KEYS[1], 'draw') == 'drawing' then return {'prequeue'} end

local serving = tonumber(redis.call('HGET', KEYS[1], 'serving') or '0')
if position > serving then return {'not_yet', position, serving} end

local existing = redis.call('HGET', KEYS[3], requestId)
if existing then return {'existing', existing} end
if ARGV[9] == '1' then
  local presenceFrom = redis.call('HGET', KEYS[1], 'presenceFrom')
  if presenceFrom and position > tonumber(presenceFrom) and not redis.call('ZSCORE', KEYS[11], position) then
    return {'not_yet', position, serving} -- passed while absent, not let in (yet)
  end
end

-- the history row that first covered this position
local covering = redis.call('ZRANGEBYSCORE', KEYS[6], position, '+inf', 'LIMIT', 0, 1)[1]
local row = covering and redis.call('HGET', KEYS[7], covering)

if ARGV[5] ~= '' then
  local expiry = tonumber(ARGV[5])
  local maxExpired = tonumber(redis.call('HGET', KEYS[1], 'maxExpiredPosition') or '0')
  if position <= maxExpired then return {'position_expired'} end
  local reference = entryTime
  if row then
    local reached = tonumber(string.match(row, '^(%-?%d+):'))
    if reached > reference then reference = reached end
  end
  if now - reference > expiry then return {'position_expired'} end
end

local own = false
if ARGV[6] ~= '' then
  -- Sessions held after a loss (their tokens still verify) count as active; this id's own
  -- (the era survived, its session did not) is stored again below instead, so counted once
  -- (and its token, which the hold counted again, not twice).
  own = redis.call('ZSCORE', KEYS[12], requestId)
  local active = redis.call('ZCOUNT', KEYS[4], '(' .. ARGV[2], '+inf') + redis.call('ZCOUNT', KEYS[12], '(' .. ARGV[2], '+inf')
  if own and tonumber(own) > now then active = active - 1 end
  if active >= tonumber(ARGV[6]) then return {'full', position, serving} end
  if own then redis.call('ZREM', KEYS[12], requestId) end
end

local expiresAt = now + validity
local record = string.format('%d:%d:%d:a:', position, now, expiresAt) .. issuer
redis.call('HSET', KEYS[3], requestId, record)
redis.call('ZADD', KEYS[4], expiresAt, requestId)
redis.call('ZADD', KEYS[5], expiresAt, requestId)
redis.call('ZADD', KEYS[8], position, requestId)
if not own then redis.call('HINCRBY', KEYS[1], 'tokens', 1) end
-- only possible with expiry off: a position counted as expired now has its token
if position <= tonumber(redis.call('HGET', KEYS[1], 'maxExpiredPosition') or '0') then
  redis.call('HINCRBY', KEYS[1], 'expired', -1)
end
if row then
  local reached, served, accounted = string.match(row, '^(%-?%d+):(%d+):(%d+)$')
  redis.call('HSET', KEYS[7], covering, reached .. ':' .. (tonumber(served) + 1) .. ':' .. accounted)
end
return {'issued', record}
