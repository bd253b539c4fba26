-- Bind a client-chosen visitor key (an Idempotency-Key) to the client that first used it.
-- KEYS[1] key owners hash (visitorKey -> owner).
-- ARGV[1] visitorKey, ARGV[2] owner.
-- Returns the recorded owner: ARGV[2] when this call recorded it, else the first caller's.
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then return ARGV[2] end
return redis.call('HGET', KEYS[1], ARGV[1])
