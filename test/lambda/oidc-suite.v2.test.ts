// The OIDC end-to-end suites a second time, every request through the Lambda public handler as
// API Gateway HTTP API (v2) events (see test/provider/oidc/harness.ts), and the OIDC key rotation.
process.env.ANTEROOM_TEST_LAMBDA = 'v2';
await import('../provider/oidc/flow.test.ts');
await import('../provider/oidc/queue.test.ts');
await import('../provider/oidc/errors.test.ts');
await import('../provider/oidc/rotation.test.ts');
