/**
 * Every page state in every shipped language says nothing in English outside English: no
 * message left untranslated, no sentence written into the markup or the page's script.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { en, LANGUAGES, type Messages, PLACEHOLDER } from '../../provider/pages/waiting/messages.ts';
import { renderEveryState } from './page-states.ts';

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' };

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, name: string) => ENTITY[name] ?? '');
}

/**
 * What a visitor reads or hears: the text between tags (scripts and styles left out), the
 * attributes a browser shows or speaks, and the messages handed to the page's script.
 */
function visibleText(page: string): string {
  const parts: string[] = [];
  const withoutCode = page.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/g, ' ');
  for (const match of withoutCode.matchAll(/>([^<]+)</g)) parts.push(decode(match[1] as string));
  for (const match of page.matchAll(/\s(?:content|title|aria-label|alt|placeholder|value)="([^"]*)"/g)) {
    parts.push(decode(match[1] as string));
  }
  for (const match of page.matchAll(/\sdata-messages="([^"]*)"/g)) {
    parts.push(...Object.values(JSON.parse(decode(match[1] as string)) as Record<string, string>));
  }
  return parts.join('\n');
}

/** The English catalogue's words, as fragments between placeholders, with at least four letters. */
function englishFragments(): string[] {
  const fragments = new Set<string>();
  for (const template of Object.values(en)) {
    for (const fragment of template.split(PLACEHOLDER)) {
      const trimmed = fragment.replace(/^[\s.,:;·…]+|[\s.,:;·…]+$/g, '');
      if ((trimmed.match(/\p{L}/gu) ?? []).length >= 4) fragments.add(trimmed);
    }
  }
  return [...fragments];
}

/**
 * Common English words that are no words of French, German or Spanish: they catch a sentence
 * written straight into the markup, which no catalogue lists.
 */
const ENGLISH_WORDS = ['the', 'you', 'your', 'and', 'is', 'are', 'to', 'of', 'it', 'this', 'please'];
const ENGLISH_WORDS_PATTERN = ENGLISH_WORDS.map((w) => `(?<!\\p{L})${w}(?!\\p{L})`).join('|');

function englishLeftovers(text: string, catalogue: Messages): string[] {
  const own = Object.values(catalogue).join('\n').toLowerCase();
  const found: string[] = [];
  for (const fragment of englishFragments()) {
    // A word both languages write alike ("live", "ID") is no leftover.
    if (own.includes(fragment.toLowerCase())) continue;
    const escaped = fragment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`(?<!\\p{L})${escaped}(?!\\p{L})`, 'iu').test(text)) found.push(fragment);
  }
  for (const match of text.matchAll(new RegExp(ENGLISH_WORDS_PATTERN, 'giu'))) found.push(match[0]);
  return found;
}

describe('the pages in every shipped language', () => {
  for (const [lang, messages] of Object.entries(LANGUAGES)) {
    if (lang === 'en') continue;
    test(`${lang}: every page state, with no English left`, () => {
      const pages = renderEveryState({ lang, messages });
      assert.ok(pages.size >= 15, 'every state rendered');
      for (const [state, page] of pages) {
        assert.match(page, new RegExp(`<html lang="${lang}">`), `${state}: lang`);
        assert.deepEqual(englishLeftovers(visibleText(page), messages), [], `${state} (${lang})`);
      }
    });
  }

  test('the check finds English: the English pages are full of it', () => {
    const pages = renderEveryState({ lang: 'en', messages: en });
    for (const [state, page] of pages) {
      assert.notDeepEqual(englishLeftovers(visibleText(page), LANGUAGES.fr), [], state);
    }
  });

  test("the page's script writes no sentence of its own: every word comes from the page's messages", () => {
    const script = readFileSync(
      new URL('../../provider/pages/assets/waiting-room.js', import.meta.url),
      'utf8',
    ).replace(/\/\*[\s\S]*?\*\/|(?<![:'"])\/\/.*$/gm, '');
    const literals = [...script.matchAll(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)].map(
      (match) => match[0],
    );
    assert.ok(literals.length > 20, 'the script was read');
    const sentences = literals.filter((literal) => /\p{L}{2,}[ ,.!?]+\p{L}{2,}/u.test(literal));
    assert.deepEqual(sentences, []);
  });
});
