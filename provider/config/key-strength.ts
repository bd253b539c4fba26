/**
 * How hard an admin secret (a bearer key of `adminKeys`, a `secretAccessKey` of
 * `adminSigV4Keys`) is to guess, estimated from the secret alone.
 *
 * Each character is worth log2 of the alphabet the secret draws on (the union of the classes
 * it uses: 26 lower-case letters, 26 upper-case, 10 digits, 33 other printable ASCII, and 128
 * more for anything beyond ASCII), except a character a guesser predicts from the ones before
 * it, which is worth 1 bit: the third and later character of a run (`aaa`, `abc`, `987`), or a
 * character ending three characters already seen together earlier (`xyzxyz`). Random keys lose
 * almost nothing to these rules; typed patterns lose most of their length.
 *
 * What it cannot see: words. `correct-horse-battery-staple` counts as random letters. Generate
 * keys (`openssl rand -base64 32`, or let `anteroom serve` generate one) rather than invent them.
 */

/** The least estimated strength accepted for an admin secret (docs/configuration.md). */
export const MIN_SECRET_BITS = 128;

const lower = (code: number) => code >= 0x61 && code <= 0x7a;
const upper = (code: number) => code >= 0x41 && code <= 0x5a;
const digit = (code: number) => code >= 0x30 && code <= 0x39;

const CLASSES: ReadonlyArray<{ size: number; test: (code: number) => boolean }> = [
  { size: 26, test: lower },
  { size: 26, test: upper },
  { size: 10, test: digit },
  { size: 33, test: (code) => code >= 0x20 && code <= 0x7e && !lower(code) && !upper(code) && !digit(code) },
  { size: 128, test: (code) => code > 0x7e },
];

/** Estimated bits of entropy of `secret` (see above). */
export function estimateSecretBits(secret: string): number {
  const codes = Array.from(secret, (char) => char.codePointAt(0) as number);
  const pool = CLASSES.filter((kind) => codes.some(kind.test)).reduce((sum, kind) => sum + kind.size, 0);
  if (pool === 0) return 0;
  const full = Math.log2(pool);
  const seen = new Set<string>();
  let bits = 0;
  codes.forEach((code, index) => {
    const [before, previous] = [codes[index - 2], codes[index - 1]];
    const run =
      before !== undefined &&
      previous !== undefined &&
      Math.abs(code - previous) <= 1 &&
      code - previous === previous - before;
    const triple = before === undefined ? null : `${before},${previous},${code}`;
    const repeat = triple !== null && seen.has(triple);
    if (triple !== null) seen.add(triple);
    bits += run || repeat ? 1 : full;
  });
  return bits;
}

/** Why `secret` is too weak for an admin credential, or null when it is strong enough. */
export function weakSecretProblem(secret: string): string | null {
  const bits = Math.floor(estimateSecretBits(secret));
  if (bits >= MIN_SECRET_BITS) return null;
  return (
    `is too weak: about ${bits} bits of entropy, at least ${MIN_SECRET_BITS} needed ` +
    '(use a random key, e.g. `openssl rand -base64 32`)'
  );
}
