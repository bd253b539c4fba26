/**
 * What the development mode adds (no configuration at all): the notices printed once at start
 * while a development-only default is in force, and the built-in relying party.
 */

/** The built-in relying party (`sampleSite`, on by default only with no events and no clients). */
export const SAMPLE_SITE = {
  /** Its client id at the provider. */
  clientId: 'sample-site',
  /** Where the public app serves it (under any base path). */
  path: '/sample-site',
} as const;

/** Notices printed once at start when a development-only default is in force. */
export const NOTICES = {
  memoryStore: 'in-memory store: state is lost on restart (set REDIS_URL for a durable, shared store)',
  generatedAdminKey: 'generated admin key: set ANTEROOM_ADMIN_KEY (or adminKeys) to keep a stable one',
  demoEvent: 'no events configured: serving the demo event "demo" with a periodic inlet',
  sampleSite:
    'sample relying party at /sample-site/ (client "sample-site", secret generated per run): set sampleSite false to turn it off',
  keysFile:
    'signing keys are kept in a local file: use Secrets Manager (keys.type "secrets-manager") in production',
} as const;
