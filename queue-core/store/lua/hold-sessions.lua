-- The loss hold (docs/reliability.md): a process whose regression guard saw the store lose
-- writes (guard-counters.lua: an era gone or replaced without a reset, or counters below what it
-- acknowledged) puts back the sessions it knows still active, by their request id and token
-- expiry, so a max-size event counts them until their tokens expire (issue-token.lua,
-- arrival-admit.lua, activeCount): the visitors admitted before the loss still hold tokens
-- that verify, and the store no longer has their sessions. Several processes each put back
-- what they know; the set is keyed by request id, so the union counts each session once.
-- KEYS[1] active sessions zset, KEYS[2] held sessions zset, KEYS[3] reset count string,
-- KEYS[4] counters hash, KEYS[5] all sessions zset by position (issue-token.lua).
-- ARGV[1] the reset count the process knows, ARGV[2] now; then triples expiresAt, requestId,
-- position: given ('' otherwise) when the session was issued in the era the queue still has (a
-- failover that kept the era but not the last writes): its issuance went with the loss, so it is
-- counted again (the tokens counter, the claimed position), or the max-size inlet would wait
-- for a claim already made. A session of a lost era needs none: its position counts as expired.
-- Nothing is held after a reset since (a reset drops every place on purpose), nor a session
-- the store still has (a failover that kept it), nor one whose token expired.
-- Returns how many sessions are held now (unexpired).
if tonumber(redis.call('GET', KEYS[3]) or '0') > tonumber(ARGV[1]) then return 0 end
local now = tonumber(ARGV[2])
for i = 3, #ARGV, 3 do
  local expiresAt, requestId, position = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2]
  if expiresAt > now and not redis.call('ZSCORE', KEYS[1], requestId)
    and not redis.call('ZSCORE', KEYS[2], requestId) then
    redis.call('ZADD', KEYS[2], expiresAt, requestId)
    if position ~= '' then
      redis.call('HINCRBY', KEYS[4], 'tokens', 1)
      redis.call('ZADD', KEYS[5], position, requestId)
    end
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
-- Gone once the last held token expired (relative to the caller's clock, as the scores are).
if last then redis.call('EXPIRE', KEYS[2], math.floor(tonumber(last) - now) + 1) end
return redis.call('ZCARD', KEYS[2])
