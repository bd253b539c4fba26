-- The checks before a new place, for events with an entry challenge or enqueue tokens, in
-- API.md's order: place already held, enqueue token, rate limit, challenge (types.ts
-- `ScreenInput`). gcra.lua is put in front of it. Takes no place: the caller enqueues next.
-- KEYS[1] the visitor key's bucket (96-bit digest -> position, request-ids.ts), KEYS[2]
-- entry-time changes zset, KEYS[3] the client's rate budget in this event, KEYS[4] the
-- spent-prefix marker of a proof of work (string, expires; any key of the event when there is
-- none), KEYS[5] counters hash, KEYS[6] the identity key's bucket (any key of the event when
-- there is none), KEYS[7] pre-queue arrival-time changes zset, KEYS[8] the draw's ranks
-- string (entry-of.lua is put in front too).
-- ARGV[1] visitor field, ARGV[2] token: '' (none asked), 'missing', 'invalid', 'unavailable',
-- or '=' followed by the identity key's field; ARGV[3] budget per minute ('' = no limit),
-- ARGV[4] now in ms, ARGV[5] challenge: '' (none asked), 'missing', 'invalid', 'deferred' or
-- 'spend' (mark KEYS[4] spent for ARGV[6] ms; already spent: failed).
-- Returns {'held', position, entryTime, era, arrival} | {'refused', reason} |
-- {'rate_limited', seconds} | {'clear'}; a refusal takes nothing, except the budget of a wrong
-- answer. A held pre-queue arrival (a negative field value) has its arrival number and
-- position 0 until its draw is done (enqueue.lua).
local visitorKey, token, perMinute, challenge = ARGV[1], ARGV[2], ARGV[3], ARGV[5]

local function place(held)
  local era = redis.call('HGET', KEYS[5], 'era')
  held = tonumber(held)
  if held > 0 then return {'held', held, timeAt(KEYS[2], held), era, 0} end
  local position = drawnPosition(KEYS[5], KEYS[8], -held)
  if position then return {'held', position, timeAt(KEYS[2], position), era, -held} end
  return {'held', 0, timeAt(KEYS[7], -held), era, -held}
end

local held = redis.call('HGET', KEYS[1], visitorKey)
if held then return place(held) end

if token == 'missing' then return {'refused', 'enqueue_token_required'} end
if token == 'invalid' then return {'refused', 'enqueue_token_invalid'} end
if token == 'unavailable' then return {'refused', 'enqueue_token_unavailable'} end
if token ~= '' then
  local owned = redis.call('HGET', KEYS[6], string.sub(token, 2))
  if owned then
    redis.call('HSET', KEYS[1], visitorKey, owned)
    return place(owned)
  end
end

-- A visitor who sends no answer only learns the challenge: that takes nothing.
if perMinute ~= '' then
  local retryAfter = takeRateToken(KEYS[3], tonumber(ARGV[4]), tonumber(perMinute), challenge == 'missing')
  if retryAfter > 0 then return {'rate_limited', retryAfter} end
end

if challenge == 'missing' then return {'refused', 'challenge_required'} end
if challenge == 'invalid' then return {'refused', 'challenge_failed'} end
if challenge == 'spend' and not redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[6]) then
  return {'refused', 'challenge_failed'}
end
return {'clear'}
