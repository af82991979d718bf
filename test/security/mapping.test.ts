// docs/SECURITY.md maps every promise of the security design (checklist rows 1–32, the
// Parameters table, the Faults table) to the tests that prove it. This test keeps the map honest:
// every row has a section, every section names real tests by their exact titles (or says why the
// row cannot apply), and no gap is left open. The row list lives here, not only in the design
// folder, because CI runs on a fresh clone where ../shared does not exist; when the design is
// present, the list is checked against it so the two cannot drift apart.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../src/paths.js';

interface Row {
  id: string;
  /** The first words of the row in the design (for a table row: of its first cell). */
  words: string;
}

/** Checklist rows 1–32, in order. */
const CHECKLIST: Row[] = [
  ['1', 'Password shorter than the minimum'],
  ['2', 'Stored hash starts `$argon2id$`'],
  ['3', 'Repeated wrong logins from one IP'],
  ['4', 'Unknown user and wrong password'],
  ['5', 'Login `Set-Cookie` carries the flags above'],
  ['6', 'Logout, then replay the old cookie'],
  ['7', 'Idle past the limit'],
  ['8', 'Password change in one browser'],
  ['9', 'A spoofed `X-Forwarded-For`'],
  ['10', 'TOTP (when enabled)'],
  ['11', 'Every route except login, setup'],
  ['12', 'Roles: a viewer cannot publish'],
  ['13', 'A state-changing request without a CSRF token'],
  ['14', 'Extra form fields'],
  ['15', 'Public media with a guessed'],
  ['16', 'Captions, comments, DM text and usernames'],
  ['17', 'Query-string options never reach'],
  ['18', 'An internal error'],
  ['19', 'Over the size limit'],
  ['20', 'HTML, SVG or script renamed'],
  ['21', 'A small file that decodes to a huge image'],
  ['22', 'Path tricks in file names'],
  ['23', 'Corrupt MP4, absurd duration, wrong codec'],
  ['24', 'Disk nearly full'],
  ['25', 'Loopback, link-local, private ranges'],
  ['26', 'Webhook POST with a missing or wrong'],
  ['27', '`signed_request` with a bad signature'],
  ['28', 'After a deletion callback'],
  ['29', 'A known token value appears nowhere'],
  ['30', 'A flipped byte in a ciphertext'],
  ['31', 'Graph errors and timeouts are logged'],
  ['32', 'Sign-ins, failures, lockouts'],
].map(([id, words]) => ({ id: id as string, words: words as string }));

/** The "Parameters" table, in order (first cell). */
const PARAMETERS: Row[] = [
  { id: 'P-argon2id', words: 'argon2id' },
  { id: 'P-login-throttling', words: 'login throttling' },
  { id: 'P-session-cookie', words: 'session cookie' },
  { id: 'P-timeouts', words: 'timeouts' },
  { id: 'P-csp', words: 'CSP' },
  { id: 'P-authenticated-pages', words: 'authenticated pages' },
  { id: 'P-sharp', words: 'sharp' },
  { id: 'P-encrypted-columns', words: 'encrypted columns' },
  { id: 'P-sqlite', words: 'SQLite' },
];

/** The "Faults the appliance must survive" table, in order (first cell). */
const FAULTS: Row[] = [
  { id: 'F-kill-9', words: '`kill -9` at each publishing step' },
  { id: 'F-hard-stop', words: 'hard stop during writes' },
  { id: 'F-disk-full', words: 'disk full' },
  { id: 'F-database-locked', words: 'database locked by another process' },
  { id: 'F-graph-errors', words: 'Graph 5xx, throttling' },
  { id: 'F-quota', words: 'publishing quota exhausted' },
  { id: 'F-token-revoked', words: 'token expired or revoked (190)' },
  { id: 'F-clock', words: 'clock jumps and DST changes' },
  { id: 'F-webhooks', words: 'webhook replay, flood, or receiver down for hours' },
  { id: 'F-restore', words: 'restore of an older backup' },
];

const ROWS = [...CHECKLIST, ...PARAMETERS, ...FAULTS];
const MAPPING = path.join(projectRoot, 'docs', 'SECURITY.md');
const DESIGN_CANDIDATES = ['/work/shared/design/security.md', path.join(projectRoot, '..', 'shared', 'design', 'security.md')];

// ——— reading test titles ———

interface Literal {
  /** The title as mocha sees it for quoted strings; for a template, its text with `${…}` kept verbatim. */
  value: string;
  template: boolean;
  end: number;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };

/** Skips a quoted string or template starting at `at` (inside `${…}`), returning the index after it. */
function skipLiteral(source: string, at: number): number {
  return readLiteral(source, at).end;
}

/** Reads the string literal (', " or `) that starts at `at`. */
function readLiteral(source: string, at: number): Literal {
  const quote = source[at];
  let value = '';
  let i = at + 1;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (next === 'u' && source[i + 2] === '{') {
        const close = source.indexOf('}', i + 3);
        value += String.fromCodePoint(parseInt(source.slice(i + 3, close), 16));
        i = close + 1;
      } else if (next === 'u') {
        value += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
        i += 6;
      } else if (next === 'x') {
        value += String.fromCharCode(parseInt(source.slice(i + 2, i + 4), 16));
        i += 4;
      } else if (next === '\n' || next === '\r') {
        // A line continuation: the backslash and the line break are not part of the string.
        i += next === '\r' && source[i + 2] === '\n' ? 3 : 2;
      } else {
        value += ESCAPES[next] ?? next;
        i += 2;
      }
      continue;
    }
    if (c === quote) return { value, template: quote === '`', end: i + 1 };
    if (quote === '`' && c === '$' && source[i + 1] === '{') {
      // Keep the expression as written, so a template title can be copied from the file as it is.
      let depth = 0;
      let j = i + 1;
      for (; j < source.length; j += 1) {
        const d = source[j] as string;
        if (d === "'" || d === '"' || d === '`') {
          j = skipLiteral(source, j) - 1;
        } else if (d === '{') {
          depth += 1;
        } else if (d === '}') {
          depth -= 1;
          if (depth === 0) break;
        }
      }
      value += source.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    value += c;
    i += 1;
  }
  throw new Error(`unterminated string literal at offset ${at}`);
}

/** The titles of every it(…), it.only(…) and it.skip(…) whose first argument is a string literal. */
function testTitles(source: string): Literal[] {
  const titles: Literal[] = [];
  const call = /(?<![\w$.])it(?:\.only|\.skip)?\s*\(\s*/g;
  for (let m = call.exec(source); m; m = call.exec(source)) {
    const at = m.index + m[0].length;
    if (["'", '"', '`'].includes(source[at] ?? '')) titles.push(readLiteral(source, at));
  }
  return titles;
}

/**
 * A reference names a title exactly; a template title may also be named by its literal text up
 * to its first `${` (when that text is not empty).
 */
function titleMatches(reference: string, title: Literal): boolean {
  if (reference === title.value) return true;
  if (!title.template) return false;
  const prefix = title.value.slice(0, title.value.indexOf('${')).trimEnd();
  return title.value.includes('${') && prefix !== '' && reference.trimEnd() === prefix;
}

// ——— reading docs/SECURITY.md ———

interface Reference {
  file: string;
  title: string;
  line: number;
}

interface Section {
  id: string;
  heading: string;
  line: number;
  references: Reference[];
  notApplicable: string[];
  todos: string[];
  malformed: string[];
}

const HEADING = /^## (?:(\d+)\.|([PF]-[a-z0-9-]+))(?: |$)(.*)$/;
const REFERENCE = /^- `([^`]+)` — "(.*)"$/;

function readMapping(text: string): { sections: Section[]; strayHeadings: string[] } {
  const sections: Section[] = [];
  const strayHeadings: string[] = [];
  let current: Section | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    const number = index + 1;
    if (line.startsWith('## ')) {
      const m = HEADING.exec(line);
      if (!m) {
        strayHeadings.push(`line ${number}: "${line}" is not a row heading (## <n>. or ## P-… or ## F-…)`);
        current = undefined;
        return;
      }
      current = { id: m[1] ?? m[2] ?? '', heading: (m[3] ?? '').replace(/^— /, ''), line: number, references: [], notApplicable: [], todos: [], malformed: [] };
      sections.push(current);
      return;
    }
    if (!current) return;
    if (line.startsWith('- `')) {
      const m = REFERENCE.exec(line);
      if (m) current.references.push({ file: m[1] ?? '', title: m[2] ?? '', line: number });
      else current.malformed.push(`line ${number}: ${line.slice(0, 120)}`);
    } else if (line.startsWith('- Not applicable:')) {
      if (line.slice('- Not applicable:'.length).trim().length > 20) current.notApplicable.push(line);
      else current.malformed.push(`line ${number}: "Not applicable:" without a reason`);
    } else if (/^-\s*TODO\(lead\)/.test(line)) {
      current.todos.push(line.replace(/^-\s*/, ''));
    }
  });
  return { sections, strayHeadings };
}

/** The rows of security.md: numbered checklist lines and the first cells of the two tables. */
function readDesign(text: string): Array<{ kind: 'checklist' | 'parameters' | 'faults'; text: string }> {
  const rows: Array<{ kind: 'checklist' | 'parameters' | 'faults'; text: string }> = [];
  let kind: 'checklist' | 'parameters' | 'faults' | undefined;
  let tableLine = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) {
      kind = /^## Parameters/.test(line) ? 'parameters' : /^## Checklist/.test(line) ? 'checklist' : /^## Faults/.test(line) ? 'faults' : undefined;
      tableLine = 0;
      continue;
    }
    if (kind === 'checklist') {
      const m = /^(\d+)\. (.*)$/.exec(line);
      if (m) rows.push({ kind, text: `${m[1]}. ${m[2]}` });
    } else if (kind && line.startsWith('|')) {
      tableLine += 1;
      // Line 1 is the header, line 2 the |---| separator.
      if (tableLine > 2) rows.push({ kind, text: (line.split('|')[1] ?? '').trim() });
    }
  }
  return rows;
}

describe('security mapping (docs/SECURITY.md)', () => {
  const text = fs.existsSync(MAPPING) ? fs.readFileSync(MAPPING, 'utf8') : '';
  const { sections, strayHeadings } = readMapping(text);
  const sources = new Map<string, Literal[]>();
  const titlesOf = (file: string): Literal[] | undefined => {
    const full = path.join(projectRoot, file);
    if (!sources.has(file) && fs.existsSync(full) && fs.statSync(full).isFile()) sources.set(file, testTitles(fs.readFileSync(full, 'utf8')));
    return sources.get(file);
  };

  it('reads titles the way they are written: quotes, escapes and ${…} templates', () => {
    const source = [
      "it('a viewer\\'s POST', () => {});",
      'it("the \\"not allowed\\" page", async () => {});',
      "it(`${role === 'dana' ? 'editor' : 'viewer'} gets 403 for ${`${a}`}`, () => {});",
      "it.skip('skipped too', () => {}); submit('not a test'); wait('nor this');",
      'it(\n  `POST /settings/erase by the ${role} → 403`, () => {});',
      "const title = 'x'; it(title, () => {});",
    ].join('\n');
    const titles = testTitles(source);
    expect(titles.map((t) => t.value)).to.deep.equal([
      "a viewer's POST",
      'the "not allowed" page',
      "${role === 'dana' ? 'editor' : 'viewer'} gets 403 for ${`${a}`}",
      'skipped too',
      'POST /settings/erase by the ${role} → 403',
    ]);
    const erase = titles[4] as Literal;
    expect(titleMatches('POST /settings/erase by the ${role} → 403', erase)).to.equal(true);
    expect(titleMatches('POST /settings/erase by the', erase)).to.equal(true);
    expect(titleMatches('POST /settings/erase', erase)).to.equal(false);
    expect(titleMatches('', titles[2] as Literal), 'an empty prefix names nothing').to.equal(false);
    expect(titleMatches("a viewer's", titles[0] as Literal), 'a quoted title must match whole').to.equal(false);
  });

  it('docs/SECURITY.md has exactly one section per row: none missing, none twice, none unknown', () => {
    expect(text, `${path.relative(projectRoot, MAPPING)} is missing or empty`).to.not.equal('');
    const problems: string[] = [...strayHeadings];
    const known = new Map(ROWS.map((row) => [row.id, row]));
    const seen = new Map<string, number>();
    for (const section of sections) {
      const row = known.get(section.id);
      if (!row) problems.push(`line ${section.line}: unknown row id "${section.id}"`);
      else if (!section.heading.includes(row.words)) problems.push(`row ${section.id} (line ${section.line}): the heading should repeat the row's words "${row.words}"`);
      if (seen.has(section.id)) problems.push(`row ${section.id}: a second section at line ${section.line} (the first is at line ${seen.get(section.id)})`);
      else seen.set(section.id, section.line);
    }
    for (const row of ROWS) if (!seen.has(row.id)) problems.push(`row ${row.id} ("${row.words}…") has no section "## ${/^\d/.test(row.id) ? `${row.id}.` : row.id}"`);
    expect(problems).to.deep.equal([]);
  });

  it('every section names at least one test, or says "Not applicable:" and why; every list item is well formed', () => {
    const problems: string[] = [];
    for (const section of sections) {
      for (const bad of section.malformed) problems.push(`row ${section.id}: malformed item, expected - \`file\` — "title": ${bad}`);
      if (section.references.length === 0 && section.notApplicable.length === 0) problems.push(`row ${section.id} (line ${section.line}): no test named and no "Not applicable:" reason`);
    }
    expect(problems).to.deep.equal([]);
  });

  it('every referenced test file exists', () => {
    const problems: string[] = [];
    for (const section of sections) {
      for (const ref of section.references) if (!titlesOf(ref.file)) problems.push(`row ${section.id} (line ${ref.line}): no file ${ref.file}`);
    }
    expect(problems).to.deep.equal([]);
  });

  it('every referenced title is, verbatim, the title of an it(…) in that file', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const section of sections) {
      for (const ref of section.references) {
        const titles = titlesOf(ref.file);
        if (!titles) continue; // reported by the test above
        checked += 1;
        if (!titles.some((title) => titleMatches(ref.title, title))) problems.push(`row ${section.id} (line ${ref.line}): ${ref.file} has no it("${ref.title}")`);
      }
    }
    expect(problems).to.deep.equal([]);
    expect(checked, 'references checked').to.be.greaterThan(ROWS.length);
  });

  it('no TODO(lead) gap is left open', () => {
    const open = sections.flatMap((section) => section.todos.map((todo) => `row ${section.id}: ${todo.slice(0, 160)}`));
    // The whole list in the message: mocha's diff of a long array shows none of it.
    expect(open.length, `${open.length} gaps in docs/SECURITY.md still need a test (or a fix):\n${open.join('\n')}\n`).to.equal(0);
  });

  it('the row list above matches security.md in the design folder (skipped when that folder is absent)', function () {
    const design = DESIGN_CANDIDATES.find((file) => fs.existsSync(file));
    if (!design) this.skip();
    const rows = readDesign(fs.readFileSync(design as string, 'utf8'));
    const problems: string[] = [];
    const compare = (kind: 'checklist' | 'parameters' | 'faults', ours: Row[]): void => {
      const theirs = rows.filter((row) => row.kind === kind).map((row) => row.text);
      if (theirs.length !== ours.length) problems.push(`${kind}: security.md has ${theirs.length} rows, this test lists ${ours.length}`);
      theirs.forEach((text, i) => {
        const row = ours[i];
        const expected = row ? (kind === 'checklist' ? `${row.id}. ${row.words}` : row.words) : undefined;
        if (!expected || !text.startsWith(expected)) problems.push(`${kind} row ${i + 1}: security.md says "${text.slice(0, 80)}", this test expects ${expected ? `"${expected}…" (${row?.id})` : 'no such row'}`);
      });
    };
    compare('checklist', CHECKLIST);
    compare('parameters', PARAMETERS);
    compare('faults', FAULTS);
    expect(problems).to.deep.equal([]);
  });
});
