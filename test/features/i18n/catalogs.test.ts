import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { FIT_MODES, NOTIFICATION_KINDS, LANGUAGES, MEDIA_KINDS, MEDIA_STATUSES, POST_STATES, POST_TYPES, ROLES } from '../../../src/db/schema.js';
import { QUEUE_FILTERS } from '../../../src/features/content/planning.handlers.js';
import { COMMENT_FILTERS } from '../../../src/features/engagement/comments.service.js';
import { ATTACHMENT_LABELS } from '../../../src/features/engagement/conversations.repo.js';
import { CLOSED_REASONS } from '../../../src/features/engagement/messages.service.js';
import { POST_SORTS, RANGE_CHOICES } from '../../../src/features/analytics/analytics.calc.js';
import { CSV_SERIES, KPI_METRICS } from '../../../src/features/analytics/analytics.service.js';
import { AUDIENCE_BREAKDOWNS } from '../../../src/db/schema.analytics.js';
import { POST_LOG_STEPS } from '../../../src/features/content/posts.repo.js';
import { loadCatalog } from '../../../src/i18n/index.js';
import { ERROR_CLASSES, EXPLAINED_SUBCODES } from '../../../src/instagram/graph-error.js';
import { REQUIRED_SCOPES } from '../../../src/instagram/types.js';
import { projectRoot } from '../../../src/paths.js';
import { CHECK_IDS } from '../../../src/features/system/reach.service.js';
import { flatten } from '../../support/catalog.js';



function sourceText(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|ejs)$/.test(entry.name)) files.push(full);
    }
  };
  walk(path.join(projectRoot, 'src'));
  walk(path.join(projectRoot, 'views'));
  return files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

/** Keys built at run time from a known list (`t('role.' + role)`), spelled out here. */
const DYNAMIC_KEYS = [
  ...ROLES.map((role) => `role.${role}`),
  ...ERROR_CLASSES.flatMap((c) => [`instagram.errorClass.${c}.title`, `instagram.errorClass.${c}.text`]),
  ...[...EXPLAINED_SUBCODES].map((code) => `instagram.code.${code}`),
  ...REQUIRED_SCOPES.map((scope) => `accounts.scope.${scope}`),
  ...POST_TYPES.flatMap((type) => [`content.type.${type}`, `content.typeHint.${type}`, `content.error.count.${type}`]),
  ...POST_STATES.map((state) => `content.state.${state}`),
  ...FIT_MODES.map((mode) => `content.fit.${mode}`),
  ...MEDIA_KINDS.map((kind) => `content.media.kind.${kind}`),
  ...MEDIA_STATUSES.map((status) => `content.media.status.${status}`),
  ...QUEUE_FILTERS.map((filter) => `content.filter.states.${filter}`),
  ...POST_LOG_STEPS.map((step) => `content.log.${step}`),
  ...NOTIFICATION_KINDS.map((kind) => `notifications.kind.${kind}`),
  ...['failed', 'held', 'needs_attention'].map((state) => `publishing.status.${state}`),
  ...COMMENT_FILTERS.map((filter) => `engagement.filter.${filter}`),
  ...[...ATTACHMENT_LABELS, 'other'].map((kind) => `engagement.messages.kind.${kind}`),
  ...CLOSED_REASONS.map((reason) => `engagement.window.closed.${reason}`),
  ...KPI_METRICS.map((metric) => `analytics.metric.${metric}`),
  ...POST_SORTS.map((sort) => `analytics.sort.${sort}`),
  ...['FEED', 'REELS'].map((type) => `analytics.productType.${type}`),
  ...[0, 1, 2, 3, 4, 5, 6].map((day) => `analytics.weekday.${day}`),
  ...AUDIENCE_BREAKDOWNS.map((b) => `analytics.audience.${b}`),
  ...['F', 'M', 'U'].map((g) => `analytics.gender.${g}`),
  ...RANGE_CHOICES.map((c) => `analytics.range.${c}`),
  ...['dates', 'order', 'future', 'tooLong'].map((e) => `analytics.range.error.${e}`),
  ...CSV_SERIES.map((series) => `analytics.export.${series}`),
  ...CHECK_IDS.map((id) => `system.reach.check.${id}`),
];

const catalogs = Object.fromEntries(LANGUAGES.map((lang) => [lang, flatten(loadCatalog(lang))]));
const english = catalogs['en'] as Map<string, string>;

describe('translations', () => {
  for (const lang of LANGUAGES) {
    it(`${lang} has exactly the keys of English, none missing and none extra`, () => {
      const keys = [...(catalogs[lang] as Map<string, string>).keys()].sort();
      expect(keys).to.deep.equal([...english.keys()].sort());
    });

    it(`${lang} has no empty text and keeps every {{placeholder}} of English`, () => {
      for (const [key, text] of catalogs[lang] as Map<string, string>) {
        expect(text.trim(), key).not.to.equal('');
        const placeholders = (s: string) => (s.match(/{{\s*\w+\s*}}/g) ?? []).sort();
        expect(placeholders(text), key).to.deep.equal(placeholders(english.get(key) ?? ''));
      }
    });
  }

  it('every key in the catalogs is used somewhere in src/ or views/ (no unused keys pile up)', () => {
    const source = sourceText();
    const unused = [...english.keys()].filter((key) => !DYNAMIC_KEYS.includes(key) && !source.includes(`'${key}'`) && !source.includes(`"${key}"`));
    expect(unused).to.deep.equal([]);
  });

  it('every literal key passed to t() in src/ or views/ exists in the catalogs', () => {
    const asked = new Set<string>();
    for (const match of sourceText().matchAll(/\bt\(\s*'([a-z]\w*(?:\.\w+)+)'/g)) asked.add(match[1] as string);
    expect(asked.size).to.be.greaterThan(20);
    expect([...asked].filter((key) => !english.has(key))).to.deep.equal([]);
  });
});
