/**
 * The log scan: every log line the whole suite made the code write (captured by
 * `test/support/logs.ts` into `$ANTEROOM_LOG_CAPTURE`) must be free of what lets someone act
 * as a visitor, a relying party or an operator. `scripts/test.ts` runs it after the suite.
 * Run alone: ANTEROOM_LOG_CAPTURE=<dir> node --test test/logs/scan.ts
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COOKIE_KEYS, SECRET_A, SECRET_B } from '../provider/oidc/harness.ts';
import { ADMIN_KEY } from '../provider/support.ts';
import { TARGET_ADMIN_KEY, TARGET_CLIENT, TARGET_COOKIE_KEY } from '../support/hostile-target.ts';

/** Fields that carry a trace id or public identifiers only. */
const EXEMPT_FIELDS = new Set(['req_id', 'hostname', 'pid', 'time', 'level', 'service']);

/** Field names whose (string) value is a secret whatever it looks like. */
const SECRET_FIELD = /(secret|password|cookie|authorization|admin_?key|api_?key|idempotency|token|private)$/i;

const RULES: { name: string; pattern: RegExp }[] = [
  { name: 'JSON Web Token', pattern: /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*/ },
  {
    name: 'UUID (request id, idempotency key)',
    pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i,
  },
  { name: 'visitor id', pattern: /\b[0-9a-f]{32}\b/ },
  {
    name: 'cookie',
    pattern:
      /\b(anteroom_vid|ar_rq_[\w.-]+|ar_rc_[\w.-]+|_ar_session|_ar_interaction|_ar_resume)(\.sig)?=[^;\s"]+/,
  },
  { name: 'bearer credential', pattern: /Bearer\s+[\w.~+/-]{12,}/i },
  { name: 'private key', pattern: /PRIVATE KEY|"(d|p|q|dp|dq|qi)":"[\w-]{16,}"/ },
  { name: 'visitor key', pattern: /\b(vid|key):[\w-]{16,}/ },
];

const KNOWN_SECRETS = [
  ADMIN_KEY,
  SECRET_A,
  SECRET_B,
  ...COOKIE_KEYS,
  TARGET_ADMIN_KEY,
  TARGET_CLIENT.secret,
  TARGET_COOKIE_KEY,
];

interface Finding {
  where: string;
  rule: string;
  excerpt: string;
}

/** Every (path, string) leaf of a parsed line, exempt fields left out. */
function* leaves(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value))
    for (const [index, item] of value.entries()) yield* leaves(item, `${path}[${index}]`);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (path === '' && EXEMPT_FIELDS.has(key)) continue;
      yield* leaves(item, path === '' ? key : `${path}.${key}`);
    }
  }
}

function mask(text: string): string {
  return text.length <= 12 ? text : `${text.slice(0, 6)}…${text.slice(-3)}`;
}

function scanLine(line: string, where: string): Finding[] {
  const found: Finding[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return [{ where, rule: 'not a JSON log line', excerpt: mask(line) }];
  }
  for (const [path, text] of leaves(parsed, '')) {
    const field =
      path
        .split('.')
        .at(-1)
        ?.replace(/\[\d+\]$/, '') ?? '';
    if (SECRET_FIELD.test(field) && text.length >= 8)
      found.push({ where, rule: `secret field ${path}`, excerpt: mask(text) });
    for (const { name, pattern } of RULES) {
      const match = pattern.exec(text);
      if (match) found.push({ where, rule: `${name} in ${path}`, excerpt: mask(match[0]) });
    }
    for (const secret of KNOWN_SECRETS) {
      if (text.includes(secret))
        found.push({ where, rule: `a test secret in ${path}`, excerpt: mask(secret) });
    }
  }
  return found;
}

test('no log line of the suite carries a cookie value, request id, token, key or secret', (t) => {
  const dir = process.env.ANTEROOM_LOG_CAPTURE;
  assert.ok(dir, 'ANTEROOM_LOG_CAPTURE names the directory the suite logged into');
  let lines = 0;
  const findings: Finding[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ndjson'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const [index, line] of text.split('\n').entries()) {
      if (line === '') continue;
      lines += 1;
      findings.push(...scanLine(line, `${file}:${index + 1}`));
    }
  }
  t.diagnostic(`log scan: ${lines} lines`);
  assert.ok(lines > 0, 'the suite wrote log lines to scan');
  const shown = findings
    .slice(0, 25)
    .map((finding) => `  ${finding.where}: ${finding.rule}: ${finding.excerpt}`)
    .join('\n');
  assert.equal(findings.length, 0, `${findings.length} findings in ${lines} log lines:\n${shown}`);
});
