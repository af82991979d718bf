import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../../src/paths.js';
import { flatten, type Tree } from '../../support/catalog.js';
import { ERROR_CLASSES } from '../../../src/instagram/graph-error.js';

type Lang = 'en' | 'ru' | 'kk';

const LANGS: readonly Lang[] = ['en', 'ru', 'kk'];

/** Error classes the client maps Instagram refusals into (design/instagram-api.md §6). */
const CLASSES = ERROR_CLASSES;

/** The official publishing table (§6.3), in its order. */
const TABLE_SUBCODES = [
  2207003, 2207020, 2207001, 2207032, 2207053, 2207057, 2207051, 2207042, 2207006, 2207008, 2207050, 2207023,
  2207028, 2207035, 2207036, 2207037, 2207040, 2207026, 2207052, 2207027, 2207004, 2207005, 2207009, 2207010,
];
/** Seen in the wild but not in the table (§6.3, after the table). */
const UNDOCUMENTED_SUBCODES = [2207018, 2207073, 2207076, 2207077, 2207082, 2207085, 2207081];
/** Messaging send errors (§4.3) and the already-sent private reply. */
const MESSAGING_SUBCODES = [2534022, 2534014, 2534001, 1545133, 2534025];
const SUBCODES = [...TABLE_SUBCODES, ...UNDOCUMENTED_SUBCODES, ...MESSAGING_SUBCODES];

function isTree(value: unknown): value is Tree {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((v) => typeof v === 'string' || isTree(v));
}

function load(lang: Lang): Tree {
  const file = path.join(projectRoot, 'src', 'i18n', `instagram.${lang}.json`);
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!isTree(parsed)) throw new Error(`${file} must hold nested objects of strings only`);
  return parsed;
}


const placeholders = (s: string): string[] => (s.match(/{{\s*\w+\s*}}/g) ?? []).sort();

const catalogs = new Map<Lang, Map<string, string>>(LANGS.map((lang) => [lang, flatten(load(lang))]));
function catalog(lang: Lang): Map<string, string> {
  const found = catalogs.get(lang);
  if (!found) throw new Error(`no catalog for ${lang}`);
  return found;
}
const english = catalog('en');

describe('explanations of Instagram errors', () => {
  it('lists each subcode once in the test itself', () => {
    expect(new Set(SUBCODES).size).to.equal(SUBCODES.length);
    expect(SUBCODES).to.have.length(36);
  });

  it('gives every error class a title and a text in English, and the throttle wait with {{minutes}}', () => {
    for (const cls of CLASSES) {
      expect(english.has(`errorClass.${cls}.title`), cls).to.equal(true);
      expect(english.has(`errorClass.${cls}.text`), cls).to.equal(true);
    }
    expect(placeholders(english.get('errorClass.throttled.textWithWait') ?? '')).to.deep.equal(['{{minutes}}']);
    const classes = [...english.keys()].filter((k) => k.startsWith('errorClass.')).map((k) => k.split('.')[1]);
    expect([...new Set(classes)].sort()).to.deep.equal([...CLASSES].sort());
  });

  for (const lang of LANGS) {
    it(`${lang} has exactly the keys of English`, () => {
      expect([...catalog(lang).keys()].sort()).to.deep.equal([...english.keys()].sort());
    });

    it(`${lang} explains every publishing and messaging subcode`, () => {
      const missing = SUBCODES.filter((code) => !catalog(lang).has(`code.${code}`));
      expect(missing).to.deep.equal([]);
    });

    it(`${lang} has no empty text and keeps every {{placeholder}} of English`, () => {
      for (const [key, text] of catalog(lang)) {
        expect(text.trim(), key).not.to.equal('');
        expect(placeholders(text), key).to.deep.equal(placeholders(english.get(key) ?? ''));
      }
    });
  }

  for (const lang of ['ru', 'kk'] as const) {
    it(`${lang} is translated, not copied from English`, () => {
      for (const [key, text] of catalog(lang)) {
        expect(text, key).not.to.equal(english.get(key));
        expect(text, key).to.match(/[а-яё]/i);
      }
    });
  }

  it('Kazakh uses Kazakh letters and keeps Instagram in Latin script', () => {
    const all = [...catalog('kk').values()].join(' ');
    expect(all).to.match(/[әіңғүұқө]/);
    expect(all).not.to.match(/инстаграм/i);
  });

  it('Russian speaks to the owner with a lowercase polite «вы»', () => {
    // A capital В is fine only where a sentence starts.
    const capitalised = /(?<![.!?]\s|^)(?<!\p{L})(?:Вы|Вас|Вам|Вами|Ваш\p{L}*)(?!\p{L})/u;
    for (const [key, text] of catalog('ru')) expect(text, key).not.to.match(capitalised);
    expect('Проверьте Ваш аккаунт.').to.match(capitalised);
    expect('Вы уже отправили ответ. Вам ответят.').not.to.match(capitalised);
  });
});
