/**
 * Bounds both stores keep alike (the Redis store's scripts and the in-memory engine). In a
 * module of their own so the Redis store, which a Lambda function loads at start-up, does not
 * load the in-memory engine for three numbers.
 */

/** Audit entries kept (newest); older ones are dropped. */
export const AUDIT_CAP = 10_000;
/** History rows `expirePositions` walks in one call, so one call's work stays bounded. */
export const EXPIRE_ROWS_PER_CALL = 1000;
/**
 * Largest serving counter (2^53 − 1): every integer up to it is exact both as a JavaScript
 * number and as a Lua number, so a counter pushed this far stays exact instead of drifting.
 */
export const MAX_SERVING = Number.MAX_SAFE_INTEGER;
