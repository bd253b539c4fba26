-- The counters as one read (getCounters, the snapshot every status poll and stream derives from):
-- the fields of the counters hash and the event's reset count, which a reset increments and never
-- deletes (its counters go back to nothing, so after as many new joins as the old queue held they
-- look as before: only the count tells another process's reset apart from no change).
-- KEYS[1] counters hash, KEYS[2] reset count string. ARGV: the hash fields to read.
-- Returns the fields' values in order (nil when absent), then the reset count (nil: never reset).
local values = redis.call('HMGET', KEYS[1], unpack(ARGV))
values[#ARGV + 1] = redis.call('GET', KEYS[2])
return values
