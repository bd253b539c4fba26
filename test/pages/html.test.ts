import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeHtml, html, page } from '../../provider/pages/html.ts';
import { etaPhrase, formatEta, queueProgress } from '../../provider/pages/waiting/format.ts';
import {
  CLIENT_MESSAGE_KEYS,
  LANGUAGES,
  MESSAGE_KEYS,
  type PageLanguages,
  pageTextFor,
  placeholders,
} from '../../provider/pages/waiting/messages.ts';
import { safeReturnUrl } from '../../provider/pages/waiting/onward.ts';
import { noScriptRefreshSeconds } from '../../provider/pages/waiting/render.ts';

describe('escapeHtml and the html template tag', () => {
  test('escapes every character that can leave text or an attribute', () => {
    assert.equal(
      escapeHtml(`<a href="x" onclick='y'>&\`</a>`),
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });

  test('interpolated values are escaped, nested fragments and arrays are not escaped twice', () => {
    const name = '"><script>alert(1)</script>';
    const inner = html`<b>${name}</b>`;
    const out = html`<p title="${name}">${inner}${[html`<i>1</i>`, '<2>']}</p>`.value;
    assert.equal(
      out,
      '<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"><b>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</b><i>1</i>&lt;2&gt;</p>',
    );
  });

  test('null, undefined and false render nothing; numbers render as text', () => {
    assert.equal(html`[${null}${undefined}${false}${0}]`.value, '[0]');
  });

  test('the page shell sets lang, viewport and only same-origin assets', () => {
    const doc = page({ title: '<T>', body: html`<main></main>`, scripts: ['/assets/x.js'] });
    assert.match(doc, /<html lang="en">/);
    assert.match(doc, /<title>&lt;T&gt;<\/title>/);
    assert.match(doc, /<script src="\/assets\/x\.js" defer><\/script>/);
    assert.doesNotMatch(doc, /https?:\/\//);
  });

  test('a base path goes before every asset URL of the shell', () => {
    const doc = page({ title: 'T', body: html`<main></main>`, scripts: ['/assets/x.js'], basePath: '/prod' });
    const urls = [...doc.matchAll(/(?:href|src)="([^"]*)"/g)].map((match) => match[1]);
    assert.deepEqual(urls, ['/prod/assets/favicon.svg', '/prod/assets/anteroom.css', '/prod/assets/x.js']);
  });
});

describe('safeReturnUrl', () => {
  const publicUrl = 'https://queue.example.org';

  test('accepts site-relative paths and absolute URLs on the public origin', () => {
    assert.equal(safeReturnUrl('/shop?x=1', publicUrl), '/shop?x=1');
    assert.equal(
      safeReturnUrl('https://queue.example.org/shop', publicUrl),
      'https://queue.example.org/shop',
    );
  });

  test('refuses anything that could send the visitor to another site', () => {
    for (const raw of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      'https://queue.example.org.evil.example/',
      'javascript:alert(1)',
      '/a\nb',
      '',
      ['/a'],
      undefined,
    ]) {
      assert.equal(safeReturnUrl(raw, publicUrl), null, String(raw));
    }
  });
});

describe('waiting page wording', () => {
  test('an unknown wait says so plainly', () => {
    assert.equal(formatEta(null), 'Estimating… not enough data yet');
    assert.equal(formatEta(30), 'Less than a minute');
    assert.equal(formatEta(300), 'About 5 minutes');
    assert.equal(formatEta(7260), 'About 2 hours 1 min');
  });

  test('every shipped language words the same messages with the same placeholders', () => {
    for (const [language, messages] of Object.entries(LANGUAGES)) {
      for (const key of MESSAGE_KEYS) {
        assert.ok(messages[key].trim().length > 0, `${language}.${key}`);
        assert.deepEqual(placeholders(messages[key]), placeholders(LANGUAGES.en[key]), `${language}.${key}`);
      }
    }
    for (const key of CLIENT_MESSAGE_KEYS) assert.ok(MESSAGE_KEYS.includes(key));
  });

  test('the wait estimate in other languages', () => {
    assert.equal(formatEta(null, LANGUAGES.fr), 'Estimation en cours… pas encore assez de données');
    assert.equal(formatEta(60, LANGUAGES.fr), 'Environ 1 minute');
    assert.equal(formatEta(300, LANGUAGES.de), 'Etwa 5 Minuten');
    assert.equal(formatEta(3600, LANGUAGES.es), 'Alrededor de 1 hora');
    assert.equal(formatEta(3900, LANGUAGES.fr), 'Environ 1 heure 5 min');
    assert.equal(formatEta(7260, LANGUAGES.de), 'Etwa 2 Stunden 1 Min.');
    assert.equal(etaPhrase(30, LANGUAGES.es), 'menos de un minuto');
  });

  test('Accept-Language: quality values, regions and wildcards choose among the offered languages', () => {
    const offered = {
      offered: [LANGUAGES.de, LANGUAGES.fr, LANGUAGES.en].map((messages, index) => ({
        lang: ['de', 'fr', 'en'][index] as string,
        messages,
      })),
    } as unknown as PageLanguages;
    const pick = (header: string | undefined) => pageTextFor(offered, header).lang;
    assert.equal(pick(undefined), 'de');
    assert.equal(pick(''), 'de');
    assert.equal(pick('fr'), 'fr');
    assert.equal(pick('EN-us'), 'en');
    assert.equal(pick('es, en;q=0.2, fr;q=0.5'), 'fr', 'the highest quality offered wins');
    assert.equal(pick('en;q=0.5, fr;q=0.5'), 'en', 'equal qualities keep their order');
    assert.equal(pick('fr;q=0, en;q=0.1'), 'en');
    assert.equal(pick('fr;q=2, en;q=abc, es'), 'de', 'malformed weights disqualify their entry');
    assert.equal(pick('*, fr;q=0.5'), 'de', 'a wildcard means the default');
    assert.equal(pick(`${'x-y, '.repeat(1000)}fr`), 'de', 'only the start of an oversized header is read');
    assert.equal(pick('<script>, fr'), 'fr');
    const one = { offered: [{ lang: 'en', messages: LANGUAGES.en }] } as unknown as PageLanguages;
    assert.equal(pageTextFor(one, 'fr').lang, 'en', 'one language: no choice');
  });

  test("a page without JavaScript reloads at the configured pace, sooner for a turn's warning or end", () => {
    const status = (state: string, expiresIn: number | null) =>
      ({ state, expires_in: expiresIn }) as unknown as Parameters<typeof noScriptRefreshSeconds>[0];
    assert.equal(noScriptRefreshSeconds(status('waiting', null), 20), 20);
    assert.equal(noScriptRefreshSeconds(status('eligible', null), 20), 20);
    assert.equal(noScriptRefreshSeconds(status('eligible', 300), 20), 20);
    assert.equal(noScriptRefreshSeconds(status('eligible', 70), 20), 11, 'the warning shows in time');
    assert.equal(noScriptRefreshSeconds(status('eligible', 45), 20), 20, 'the end shows in time');
    assert.equal(noScriptRefreshSeconds(status('eligible', 10), 20), 11);
    for (const state of ['expired', 'ended', 'admitted']) {
      assert.equal(noScriptRefreshSeconds(status(state, null), 20), null, state);
    }
  });

  test('progress is full exactly when the serving counter reaches the position', () => {
    assert.deepEqual(queueProgress(10, 3), { value: 3, max: 10 });
    assert.deepEqual(queueProgress(10, 9), { value: 9, max: 10 });
    assert.deepEqual(queueProgress(10, 25), { value: 10, max: 10 });
  });
});
