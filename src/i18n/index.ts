import fs from 'node:fs';
import path from 'node:path';
import i18next, { type TFunction } from 'i18next';
import { LANGUAGES, type Language } from '../db/schema.js';
import { localesDir } from '../paths.js';

export type { TFunction };
export type Translate = (key: string, params?: Record<string, string | number>) => string;

export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', ru: 'Русский', kk: 'Қазақша' };

type Tree = { [key: string]: string | Tree };

const read = (file: string): Tree => JSON.parse(fs.readFileSync(path.join(localesDir, file), 'utf8')) as Tree;

/**
 * <lang>.json plus two namespaces kept in files of their own: instagram.<lang>.json (Instagram's
 * refusals explained) under `instagram`, media.<lang>.json (why a file cannot be used) under `media`.
 */
export function loadCatalog(lang: Language): Tree {
  return { ...read(`${lang}.json`), instagram: read(`instagram.${lang}.json`), media: read(`media.${lang}.json`) };
}

/** Keys asked for but found in no catalog; the page tests assert this stays empty. */
export const missingKeys = new Set<string>();

const instance = i18next.createInstance();
void instance.init({
  resources: Object.fromEntries(LANGUAGES.map((lang) => [lang, { translation: loadCatalog(lang) }])),
  lng: 'en',
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  initAsync: false,
  returnNull: false,
  saveMissing: true,
  missingKeyHandler: (_languages, _namespace, key) => {
    missingKeys.add(key);
  },
  // EJS escapes every <%= %>; escaping here too would show &amp; to people.
  interpolation: { escapeValue: false },
});

const translators = new Map<Language, Translate>(
  LANGUAGES.map((lang) => {
    const t = instance.getFixedT(lang);
    return [lang, (key: string, params?: Record<string, string | number>) => t(key, params ?? {})];
  }),
);

export function translatorFor(lang: Language): Translate {
  return translators.get(lang) as Translate;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** Picks the best supported language from an Accept-Language header (RFC 9110 q-values). */
export function languageFromHeader(header: string | undefined): Language {
  if (!header) return 'en';
  const ranked = header
    .split(',')
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { base: tag.toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1, order };
    })
    .filter((entry) => entry.q > 0 && !Number.isNaN(entry.q))
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return ranked.map((entry) => entry.base).find(isLanguage) ?? 'en';
}
