-- Close the pre-queue (close-prequeue.lua, included in front) and read the draw's state.
-- KEYS[1] counters hash, KEYS[2] entry-time changes zset. ARGV[1] now, ARGV[2] shuffle ('1'/'0').
-- Returns the counters' draw, drawN, drawWritten, drawBase, drawShuffled, drawClosedAt,
-- drawnAt, pq.
closePrequeue(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
return redis.call('HMGET', KEYS[1], 'draw', 'drawN', 'drawWritten', 'drawBase', 'drawShuffled',
  'drawClosedAt', 'drawnAt', 'pq')
