/**
 * The operator's brand colour: contrast arithmetic (WCAG 2.2), the checks that refuse an
 * unreadable colour at start-up, and the stylesheet served at /assets/theme.css.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../provider/config/server-config.ts';
import { accentProblem, contrastRatio, themeCss } from '../../provider/pages/theme.ts';
import { startTestServer, type TestServer } from '../browser/support.ts';

describe('brand colour', () => {
  test('contrast ratios as WCAG defines them', () => {
    assert.equal(contrastRatio('#000000', '#ffffff'), 21);
    assert.equal(contrastRatio('#ffffff', '#000000'), 21, 'symmetric');
    assert.equal(contrastRatio('#777777', '#777777'), 1);
    // The stylesheet's own accents pass, with a margin.
    assert.ok(contrastRatio('#1d4ed8', '#ffffff') > 6);
    assert.equal(accentProblem('#1d4ed8', 'light'), null);
    assert.equal(accentProblem('#8fb0ff', 'dark'), null);
  });

  test('an accent that would make text hard to read is refused, naming the contrast', () => {
    assert.match(
      accentProblem('#ffcc00', 'light') ?? '',
      /^#ffcc00 has a contrast of 1\.\d\d:1 as link text on the page/,
    );
    assert.match(accentProblem('#1d4ed8', 'dark') ?? '', /as link text on the page \(#1b1e25\)/);
    const pagesOf = (pages: unknown) =>
      loadConfig({ raw: { events: [{ id: 'e' }], pages }, env: {} }).pages.theme;
    assert.deepEqual(pagesOf({ accentColor: '#0A6E31', accentColorDark: '#7ee2a8' }), {
      accentColor: '#0a6e31',
      accentColorDark: '#7ee2a8',
    });
    assert.deepEqual(pagesOf({ language: 'fr' }), {});
    for (const [pages, field] of [
      [{ accentColor: 'green' }, 'pages.accentColor'],
      [{ accentColor: '#0a6e3' }, 'pages.accentColor'],
      [{ accentColor: '#ffcc00' }, 'pages.accentColor'],
      [{ accentColorDark: '#0a6e31' }, 'pages.accentColorDark'],
      [{ accentColor: 12 }, 'pages.accentColor'],
    ] as const) {
      assert.throws(
        () => pagesOf(pages),
        (error: unknown) => error instanceof ConfigError && error.field === field,
      );
    }
  });

  test('the stylesheet sets only what the operator chose', () => {
    assert.doesNotMatch(themeCss({}), /--accent/);
    const light = themeCss({ accentColor: '#0a6e31' });
    assert.match(light, /:root \{\n {2}--accent: #0a6e31;/);
    assert.doesNotMatch(light, /prefers-color-scheme/);
    assert.match(
      themeCss({ accentColorDark: '#7ee2a8' }),
      /@media \(prefers-color-scheme: dark\) \{\n {2}:root \{\n {4}--accent: #7ee2a8;/,
    );
  });
});

describe('the theme over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(['branded'], { pages: { accentColor: '#0a6e31' } });
  });
  after(() => server.close());

  test('every waiting page links /assets/theme.css, served with an ETag', async () => {
    const page = await (await fetch(`${server.publicUrl}/waiting-room/branded`)).text();
    assert.match(page, /<link rel="stylesheet" href="\/assets\/theme\.css">/);
    const missing = await (await fetch(`${server.publicUrl}/waiting-room/nope`)).text();
    assert.match(missing, /\/assets\/theme\.css/, 'problem pages too');
    const css = await fetch(`${server.publicUrl}/assets/theme.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    assert.match(await css.text(), /--accent: #0a6e31;/);
    const etag = css.headers.get('etag') ?? '';
    const again = await fetch(`${server.publicUrl}/assets/theme.css`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
  });
});
