/**
 * The JWKS request: a GET answered with JSON, on `node:http`/`node:https`. The global `fetch`
 * would do, but loading it (undici) costs a Lambda authorizer's cold start about 30 ms, a third
 * of the whole; this is the only request the authorizer makes. The modules are taken when the
 * first request is made, not at import (`node:https` brings TLS: about 8 ms).
 */

/** The part of `fetch` the key set uses; the global `fetch` is one. */
export type JsonFetch = (
  url: string,
  init: { headers: Record<string, string>; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** Largest JWKS accepted: a key set is a few KiB; anything far larger is not one. */
const MAX_BYTES = 1 << 20;

export const getJson: JsonFetch = (url, init) =>
  new Promise((resolve, reject) => {
    const get = url.startsWith('http:')
      ? process.getBuiltinModule('node:http').get
      : process.getBuiltinModule('node:https').get;
    const req = get(url, { headers: init.headers, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) req.destroy(new Error(`answer larger than ${MAX_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          ok: status >= 200 && status < 300,
          status,
          json: async () => JSON.parse(text) as unknown,
        });
      });
    });
    req.on('error', reject);
  });
