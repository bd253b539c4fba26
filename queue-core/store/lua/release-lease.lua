-- Give up a named lease, only when ARGV[1] holds it (a stale holder never frees another's).
-- KEYS[1] lease key. ARGV[1] owner. Returns 1 when it was released.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
