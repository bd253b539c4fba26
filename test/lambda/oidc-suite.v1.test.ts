// The OIDC end-to-end suites a second time, every request through the Lambda public handler as
// API Gateway REST API (v1) events (see test/provider/oidc/harness.ts).
process.env.ANTEROOM_TEST_LAMBDA = 'v1';
await import('../provider/oidc/flow.test.ts');
await import('../provider/oidc/queue.test.ts');
await import('../provider/oidc/errors.test.ts');
