// Anteroom entry challenge: the proof of work, solved off the page's main thread (a Web Worker).
// Finds a nonce such that SHA-256 of the UTF-8 string `<prefix>:<nonce>` starts with
// `difficulty` zero bits (API.md section 6), reporting progress as it goes.
//
// Plain JavaScript SHA-256: WebCrypto's digest() is asynchronous and costs far more per call
// than hashing 64 bytes. The nonce starts with filler characters that complete the prefix's
// last block, so every block before the counter's digits is hashed once (the "midstate"), and
// each attempt costs one or two block compressions.
//
// In:  {prefix, difficulty}. Out: {type: 'progress', tried}, then {type: 'solved', answer, tried}.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const INITIAL = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
/** Progress is reported after this many attempts (a few milliseconds on a phone). */
const REPORT_EVERY = 1 << 14;
/** The nonce's filler, printable and without `:`. */
const FILLER = 0x30; // '0'

const W = new Int32Array(64);

/** One SHA-256 block compression of `bytes[offset..offset+64]` into `H`. */
function compress(H, bytes, offset) {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    W[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
  }
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15];
    const w2 = W[i - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
  }
  let a = H[0];
  let b = H[1];
  let c = H[2];
  let d = H[3];
  let e = H[4];
  let f = H[5];
  let g = H[6];
  let h = H[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}

/** The leading zero bits of a digest whose first words are `H` (enough for difficulty ≤ 64). */
function leadingZeroBits(H) {
  if (H[0] !== 0) return Math.clz32(H[0]);
  return 32 + Math.clz32(H[1]);
}

function solve(prefix, difficulty) {
  const head = new TextEncoder().encode(`${prefix}:`);
  // Filler up to the block boundary (none when that would make the nonce too long).
  let filler = (64 - (head.length % 64)) % 64;
  if (filler > 40) filler = 0;
  const fixedLength = head.length + filler;
  const midLength = fixedLength - (fixedLength % 64);
  const fixed = new Uint8Array(fixedLength);
  fixed.set(head);
  fixed.fill(FILLER, head.length);
  const mid = Int32Array.from(INITIAL);
  for (let offset = 0; offset < midLength; offset += 64) compress(mid, fixed, offset);
  // The tail: the rest of the fixed part, the counter's digits, the padding (one or two blocks).
  const rest = fixed.subarray(midLength);
  const tail = new Uint8Array(128);
  const H = new Int32Array(8);
  const fillerText = String.fromCharCode(FILLER).repeat(filler);
  let tried = 0;
  for (let counter = 0; ; counter++) {
    const digits = String(counter);
    let length = rest.length;
    tail.fill(0);
    tail.set(rest);
    for (let i = 0; i < digits.length; i++) tail[length++] = digits.charCodeAt(i);
    const messageBits = (midLength + length) * 8;
    tail[length] = 0x80;
    const blocks = length + 9 <= 64 ? 1 : 2;
    const end = blocks * 64;
    // Message length in bits, big-endian, in the last 8 bytes (below 2^32 here).
    tail[end - 4] = messageBits >>> 24;
    tail[end - 3] = (messageBits >>> 16) & 0xff;
    tail[end - 2] = (messageBits >>> 8) & 0xff;
    tail[end - 1] = messageBits & 0xff;
    H.set(mid);
    compress(H, tail, 0);
    if (blocks === 2) compress(H, tail, 64);
    tried++;
    if (leadingZeroBits(H) >= difficulty) {
      return { answer: `${prefix}:${fillerText}${digits}`, tried };
    }
    if (tried % REPORT_EVERY === 0) postMessage({ type: 'progress', tried });
  }
}

self.addEventListener('message', (message) => {
  const { prefix, difficulty } = message.data;
  const { answer, tried } = solve(String(prefix), Number(difficulty));
  postMessage({ type: 'solved', answer, tried });
});
