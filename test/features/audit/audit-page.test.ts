// Settings → Audit log: the owner alone reads who did what and when, filters it by event, person,
// Instagram account and days (in the owner's time zone), pages it 100 at a time and downloads the
// same selection as CSV. Reading the log never adds to it.
import { expect } from 'chai';
import type { Role } from '../../../src/db/schema.js';
import type { AuditEvent } from '../../../src/features/audit/audit.service.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { $, agentFor, csrfFrom, csrfToken, signIn, viaProxy, type Agent } from '../../support/http.js';

const OWNER = 'aigerim';
const ALMATY = 'Asia/Almaty'; // UTC+05:00 all year
/** "Now" for every sign-in: after all the seeded entries. */
const NOW = Date.parse('2026-03-20T09:00:00Z');
const OWNER_IP = '203.0.113.7';

// ---------------------------------------------------------------------------------------------
// Helpers

interface StoredRow {
  id: number;
  at: number;
  kind: string;
  actor: string | null;
  source_ip: string | null;
  detail: string;
}

function storedRows(t: TestApp): StoredRow[] {
  return t.db.sqlite.prepare('SELECT id, at, kind, actor, source_ip, detail FROM audit_log ORDER BY id DESC').all() as StoredRow[];
}

function auditCount(t: TestApp): number {
  return (t.db.sqlite.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
}

function recordAt(t: TestApp, iso: string, event: AuditEvent): void {
  t.clock.set(Date.parse(iso));
  t.services.audit.record(event);
}

function setZone(t: TestApp, username: string, zone: string): void {
  t.db.sqlite.prepare('UPDATE users SET time_zone = ? WHERE username = ?').run(zone, username);
}

/** Signs in through the real form at NOW, from a known client address. */
async function signInAt(t: TestApp, username: string, ip = OWNER_IP): Promise<Agent> {
  t.clock.set(NOW);
  const agent = agentFor(t);
  const token = await csrfToken(agent, '/login');
  const res = await agent.post('/login').set('X-Forwarded-For', viaProxy(ip)).type('form').send({ _csrf: token, username, password: PASSWORD });
  expect(res.status, 'sign-in').to.equal(303);
  return agent;
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

interface PageRow {
  datetime: string;
  when: string;
  kind: string;
  actor: string;
  ip: string;
  detail: string;
}

function pageRows(html: string): PageRow[] {
  const page = $(html);
  return page('.audit-table tbody tr')
    .toArray()
    .map((tr) => {
      const cells = page(tr).find('td');
      const cell = (i: number): string => squash(cells.eq(i).text());
      return {
        datetime: cells.eq(0).find('time').attr('datetime') ?? '',
        when: cell(0),
        kind: squash(cells.eq(1).find('code').text()),
        actor: cell(2),
        ip: cell(3),
        detail: cell(4),
      };
    });
}

function countLine(html: string): string {
  const page = $(html);
  const line = page('p.small')
    .toArray()
    .map((p) => /^Entries: \d+/.exec(squash(page(p).text()))?.[0])
    .find((text) => text !== undefined);
  if (line === undefined) throw new Error('no count line on the page');
  return line;
}

/** A link's query as a plain object (the page number included). */
function queryOf(href: string | undefined): Record<string, string> {
  if (href === undefined) throw new Error('link missing');
  const url = new URL(href, 'http://qanat.test');
  return Object.fromEntries(url.searchParams.entries());
}

/** A strict RFC 4180 reader: CRLF record ends, quoted fields with "" for a quote, line breaks inside quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let inQuotes = false;
  let afterQuote = false;
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (inQuotes) {
      if (c === '"') {
        if (text.charAt(i + 1) === '"') {
          field += '"';
          i += 2;
        } else {
          inQuotes = false;
          afterQuote = true;
          i += 1;
        }
      } else {
        field += c;
        i += 1;
      }
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      afterQuote = false;
      i += 1;
    } else if (c === '\r') {
      if (text.charAt(i + 1) !== '\n') throw new Error(`bare CR at ${i}`);
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      afterQuote = false;
      i += 2;
    } else if (c === '\n') {
      throw new Error(`bare LF outside quotes at ${i}`);
    } else if (afterQuote) {
      throw new Error(`text after a closing quote at ${i}`);
    } else if (c === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      inQuotes = true;
      i += 1;
    } else {
      field += c;
      i += 1;
    }
  }
  if (inQuotes) throw new Error('unterminated quoted field');
  if (field !== '' || record.length > 0 || afterQuote) {
    record.push(field);
    records.push(record);
  }
  return records;
}

interface CsvLine {
  at: string;
  kind: string;
  actor: string;
  source_ip: string;
  detail: string;
}

const CSV_HEADER = ['at', 'kind', 'actor', 'source_ip', 'detail'];

function csvLines(text: string): CsvLine[] {
  expect(text.endsWith('\r\n'), 'the file ends with CRLF').to.equal(true);
  const [header, ...rest] = parseCsv(text);
  expect(header).to.deep.equal(CSV_HEADER);
  return rest.map((cells, n) => {
    expect(cells, `record ${n + 1}`).to.have.length(5);
    const [at = '', kind = '', actor = '', sourceIp = '', detail = ''] = cells;
    return { at, kind, actor, source_ip: sourceIp, detail };
  });
}

// ---------------------------------------------------------------------------------------------
// A fixed log (Asia/Almaty = UTC+05:00; local times in the comments)

const E = {
  e1: { iso: '2026-03-09T18:50:00Z', kind: 'post.scheduled', actor: 'aigerim', detail: { account: 'shop_one', postId: 1 } }, // 09 Mar 23:50
  e2: { iso: '2026-03-09T19:10:00Z', kind: 'post.scheduled', actor: 'marat', detail: { account: 'shop_two', postId: 2 } }, // 10 Mar 00:10
  e3: { iso: '2026-03-10T04:00:00Z', kind: 'account.connected', actor: 'aigerim', detail: { account: 'shop_one' } }, // 10 Mar 09:00
  e4: { iso: '2026-03-11T18:30:00Z', kind: 'post.cancelled', actor: 'marat', detail: { account: 'shop_one', postId: 3 } }, // 11 Mar 23:30
  e5: { iso: '2026-03-11T19:10:00Z', kind: 'post.scheduled', actor: 'aigerim', detail: { account: 'shop_one', postId: 4 } }, // 12 Mar 00:10
  e6: { iso: '2026-03-12T06:00:00Z', kind: 'auth.signin.failure', actor: 'stranger', detail: {} }, // 12 Mar 11:00
  e7: { iso: '2026-03-12T07:00:00Z', kind: 'retention.run', actor: null, detail: { removed: 5 } }, // 12 Mar 12:00
  e8: { iso: '2026-03-12T08:00:00Z', kind: 'account.disconnected', actor: 'aigerim', detail: { account: 'shop_one_old' } }, // 12 Mar 13:00
} as const satisfies Record<string, { iso: string; kind: AuditEvent['kind']; actor: string | null; detail: AuditEvent['detail'] }>;

type Key = keyof typeof E;

function seedLog(t: TestApp, ownerId: number): void {
  for (const key of Object.keys(E) as Key[]) {
    const e = E[key];
    recordAt(t, e.iso, {
      kind: e.kind,
      userId: e.actor === 'aigerim' ? ownerId : null,
      actor: e.actor,
      sourceIp: e.actor === null ? null : e.actor === 'stranger' ? '198.51.100.9' : '192.0.2.10',
      detail: { ...e.detail },
    });
  }
}

/** Which seeded entries a page or CSV shows, by their at instants. */
function seededKeys(datetimes: string[]): string[] {
  const byIso = new Map((Object.keys(E) as Key[]).map((k) => [new Date(Date.parse(E[k].iso)).toISOString(), k]));
  return datetimes.map((iso) => byIso.get(iso) ?? `other@${iso}`);
}

// ---------------------------------------------------------------------------------------------

describe('Settings → Audit log', () => {
  let t: TestApp;
  let ownerId: number;

  beforeEach(async () => {
    t = createTestApp();
    ownerId = (await createUser(t, { username: OWNER, role: 'owner' })).id;
  });
  afterEach(() => t.close());

  describe('who may read it', () => {
    it('the owner gets 200 with the filter form and the table', async () => {
      const agent = await signInAt(t, OWNER);
      const res = await agent.get('/settings/audit');
      expect(res.status).to.equal(200);
      const page = $(res.text);
      expect(page('form[action="/settings/audit"][method="get"]').length).to.equal(1);
      expect(page('.audit-table').length).to.equal(1);
      const csv = await agent.get('/settings/audit.csv');
      expect(csv.status).to.equal(200);
    });

    for (const role of ['editor', 'viewer'] as const satisfies readonly Role[]) {
      const a = role === 'editor' ? 'an editor' : 'a viewer';
      it(`${a} gets 403 for the page and for the CSV, and sees none of the log`, async () => {
        await createUser(t, { username: 'dana', role });
        recordAt(t, '2026-03-10T04:00:00Z', { kind: 'account.connected', actor: OWNER, detail: { account: 'secret_shop' } });
        const agent = await signInAt(t, 'dana');

        const res = await agent.get('/settings/audit');
        expect(res.status).to.equal(403);
        expect(squash($(res.text)('main').text())).to.contain('Only the owner can read the audit log.');
        expect(res.text).not.to.contain('secret_shop');
        expect($(res.text)('.audit-table').length).to.equal(0);

        const filtered = await agent.get('/settings/audit?kind=account.connected&account=secret_shop');
        expect(filtered.status).to.equal(403);

        const csv = await agent.get('/settings/audit.csv');
        expect(csv.status).to.equal(403);
        expect(csv.headers['content-type']).not.to.match(/text\/csv/);
        expect(csv.headers['content-disposition']).to.equal(undefined);
        expect(csv.text).not.to.contain('at,kind,actor');
        expect(csv.text).not.to.contain('secret_shop');
      });

      it(`${a}'s Settings tabs have no "Audit log"`, async () => {
        await createUser(t, { username: 'dana', role });
        const agent = await signInAt(t, 'dana');
        const res = await agent.get('/settings');
        expect(res.status).to.equal(200);
        const page = $(res.text);
        const tabs = page('nav.tabs a')
          .toArray()
          .map((a) => squash(page(a).text()));
        expect(tabs).not.to.include('Audit log');
        expect(page('a[href="/settings/audit"]').length).to.equal(0);
      });
    }

    it('the owner\'s Settings tabs show "Audit log", marked current on the audit page', async () => {
      const agent = await signInAt(t, OWNER);
      const settings = $((await agent.get('/settings')).text);
      const tab = settings('nav.tabs a[href="/settings/audit"]');
      expect(tab.length).to.equal(1);
      expect(squash(tab.text())).to.equal('Audit log');
      const audit = $((await agent.get('/settings/audit')).text);
      expect(audit('nav.tabs a[href="/settings/audit"]').attr('aria-current')).to.equal('page');
    });

    it('anonymous visitors are sent to /login for the page and the CSV, and come back to the page after signing in', async () => {
      const anonymous = agentFor(t);
      const csv = await anonymous.get('/settings/audit.csv');
      expect(csv.status).to.equal(303);
      expect(csv.headers['location']).to.equal('/login');
      expect(csv.headers['content-disposition']).to.equal(undefined);

      const res = await anonymous.get('/settings/audit?kind=auth.signout');
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/login');

      const { res: signedIn } = await signIn(t, OWNER, PASSWORD, anonymous);
      expect(signedIn.status).to.equal(303);
      expect(signedIn.headers['location']).to.equal('/settings/audit?kind=auth.signout');
    });
  });

  describe('the list', () => {
    it('shows entries newest first with the time in the owner\'s zone, the event code, actor, source address and details', async () => {
      setZone(t, OWNER, ALMATY);
      seedLog(t, ownerId);
      const agent = await signInAt(t, OWNER);
      const res = await agent.get('/settings/audit');
      expect(res.status).to.equal(200);
      const rows = pageRows(res.text);

      // The sign-in just now, the eight seeded entries newest first, then the owner's creation.
      expect(rows).to.have.length(10);
      expect(rows[0]).to.deep.equal({
        datetime: '2026-03-20T09:00:00.000Z',
        when: '3/20/26, 2:00:00 PM',
        kind: 'auth.signin.success',
        actor: OWNER,
        ip: OWNER_IP,
        detail: '',
      });
      expect(seededKeys(rows.slice(1, 9).map((r) => r.datetime))).to.deep.equal(['e8', 'e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1']);
      expect(rows[9]?.kind).to.equal('user.created');
      expect(rows[9]?.actor).to.equal('test');
      expect(rows[9]?.detail).to.equal(`username: ${OWNER}, role: owner`);

      // 2026-03-11T19:10Z is 00:10 on 12 March in Almaty.
      expect(rows[4]).to.deep.equal({
        datetime: '2026-03-11T19:10:00.000Z',
        when: '3/12/26, 12:10:00 AM',
        kind: 'post.scheduled',
        actor: 'aigerim',
        ip: '192.0.2.10',
        detail: 'account: shop_one, postId: 4',
      });
      // No actor and no address show a dash.
      expect(rows[2]).to.deep.include({ kind: 'retention.run', actor: '—', ip: '—', detail: 'removed: 5' });
      expect(rows[3]).to.deep.include({ kind: 'auth.signin.failure', actor: 'stranger', ip: '198.51.100.9', detail: '' });
      expect(countLine(res.text)).to.equal('Entries: 10');
    });

    it('renders a known instant in UTC by default, and in Asia/Almaty once the owner picks that zone in Settings', async () => {
      recordAt(t, '2026-03-10T20:15:30Z', { kind: 'post.scheduled', actor: OWNER, detail: { account: 'shop_one' } });
      const agent = await signInAt(t, OWNER);
      const find = (html: string): PageRow | undefined => pageRows(html).find((r) => r.datetime === '2026-03-10T20:15:30.000Z');

      expect(find((await agent.get('/settings/audit')).text)?.when).to.equal('3/10/26, 8:15:30 PM');

      const token = csrfFrom((await agent.get('/settings')).text);
      const saved = await agent.post('/settings/time-zone').set('X-Forwarded-For', viaProxy(OWNER_IP)).type('form').send({ _csrf: token, timeZone: ALMATY });
      expect(saved.status).to.equal(303);

      const res = await agent.get('/settings/audit');
      expect(find(res.text)?.when).to.equal('3/11/26, 1:15:30 AM');
      // The change itself is now the newest entry.
      expect(pageRows(res.text)[0]).to.deep.include({ kind: 'user.timezone.changed', actor: OWNER, ip: OWNER_IP, detail: `timeZone: ${ALMATY}` });
    });

    it('escapes third-party text in details and actors: no element is injected, the text is shown as is', async () => {
      recordAt(t, '2026-03-10T04:00:00Z', {
        kind: 'account.connected',
        actor: '<img src=x onerror=alert(1)>',
        sourceIp: '192.0.2.10',
        detail: { account: '<script>x</script>' },
      });
      const agent = await signInAt(t, OWNER);
      const res = await agent.get('/settings/audit');
      expect(res.status).to.equal(200);
      expect(res.text).not.to.contain('<script>x</script>');
      expect(res.text).not.to.contain('<img src=x');
      const page = $(res.text);
      expect(page('.audit-table script').length).to.equal(0);
      expect(page('.audit-table img').length).to.equal(0);
      expect(page('#audit-actor img, #audit-actor script').length).to.equal(0);
      expect(
        page('script')
          .toArray()
          .filter((s) => page(s).text().trim() === 'x'),
      ).to.have.length(0);
      const row = pageRows(res.text).find((r) => r.kind === 'account.connected');
      expect(row?.detail).to.equal('account: <script>x</script>');
      expect(row?.actor).to.equal('<img src=x onerror=alert(1)>');
      const actorOptions = page('#audit-actor option')
        .toArray()
        .map((o) => page(o).attr('value'));
      expect(actorOptions).to.include('<img src=x onerror=alert(1)>');
    });

    it('escapes filter values echoed back from the query string', async () => {
      const agent = await signInAt(t, OWNER);
      const evil = '"><script>alert(1)</script>';
      const res = await agent.get(`/settings/audit?account=${encodeURIComponent(evil)}&actor=${encodeURIComponent(evil)}&from=${encodeURIComponent(evil)}`);
      expect(res.status).to.equal(200);
      expect(res.text).not.to.contain('<script>alert(1)</script>');
      const page = $(res.text);
      expect(page('#audit-account').attr('value')).to.equal(evil);
      expect(page('#audit-from').attr('value')).to.equal(evil);
      expect(page('form[role="search"] script').length).to.equal(0);
      expect(queryOf(page('a[href^="/settings/audit.csv"]').attr('href'))).to.deep.equal({ actor: evil, account: evil, from: evil });
    });
  });

  describe('filters', () => {
    let agent: Agent;

    beforeEach(async () => {
      setZone(t, OWNER, ALMATY);
      seedLog(t, ownerId);
      agent = await signInAt(t, OWNER);
    });

    async function shown(query: string): Promise<{ keys: string[]; count: string; html: string; rows: PageRow[] }> {
      const res = await agent.get(`/settings/audit?${query}`);
      expect(res.status, query).to.equal(200);
      const rows = pageRows(res.text);
      return { keys: seededKeys(rows.map((r) => r.datetime)), count: countLine(res.text), html: res.text, rows };
    }

    it('by kind: only entries of that kind, and the kind stays selected', async () => {
      const { keys, count, html, rows } = await shown('kind=post.scheduled');
      expect(keys).to.deep.equal(['e5', 'e2', 'e1']);
      expect(rows.every((r) => r.kind === 'post.scheduled')).to.equal(true);
      expect(count).to.equal('Entries: 3');
      expect($(html)('#audit-kind option[selected]').attr('value')).to.equal('post.scheduled');

      const signIns = await shown('kind=auth.signin.success');
      expect(signIns.rows.map((r) => [r.kind, r.actor, r.ip])).to.deep.equal([['auth.signin.success', OWNER, OWNER_IP]]);
    });

    it('by kind with no match: the empty message and a zero count', async () => {
      const { keys, count, html } = await shown('kind=user.removed');
      expect(keys).to.deep.equal([]);
      expect(count).to.equal('Entries: 0');
      expect(squash($(html)('.empty-state').text())).to.equal('No entries match.');
    });

    it('by actor: the select lists the distinct actors, and choosing one shows only their entries', async () => {
      const page = $((await shown('')).html);
      const options = page('#audit-actor option')
        .toArray()
        .map((o) => page(o).attr('value'));
      // "Anyone", then each actor once (no empty entry for the actor-less retention run).
      expect(options).to.deep.equal(['', 'aigerim', 'marat', 'stranger', 'test']);

      const { keys, count, html, rows } = await shown('actor=marat');
      expect(keys).to.deep.equal(['e4', 'e2']);
      expect(rows.every((r) => r.actor === 'marat')).to.equal(true);
      expect(count).to.equal('Entries: 2');
      expect($(html)('#audit-actor option[selected]').attr('value')).to.equal('marat');
    });

    it('by account: detail.account must equal it exactly, and a leading @ is ignored', async () => {
      const plain = await shown('account=shop_one');
      expect(plain.keys).to.deep.equal(['e5', 'e4', 'e3', 'e1']); // not e8 (shop_one_old) nor e2 (shop_two)
      expect(plain.count).to.equal('Entries: 4');

      const at = await shown(`account=${encodeURIComponent('@shop_one')}`);
      expect(at.keys).to.deep.equal(['e5', 'e4', 'e3', 'e1']);
      expect($(at.html)('#audit-account').attr('value')).to.equal('shop_one');

      expect((await shown('account=shop')).keys).to.deep.equal([]);
    });

    it('by days in the owner\'s zone: 23:30 local on the "to" day is in, 00:10 on the next local day is out (and the same at the "from" end)', async () => {
      const { keys, count, html } = await shown('from=2026-03-10&to=2026-03-11');
      // e1 is 23:50 on 9 March (out), e2 00:10 on 10 March (in), e4 23:30 on 11 March (in), e5 00:10 on 12 March (out).
      expect(keys).to.deep.equal(['e4', 'e3', 'e2']);
      expect(count).to.equal('Entries: 3');
      const page = $(html);
      expect(page('#audit-from').attr('value')).to.equal('2026-03-10');
      expect(page('#audit-to').attr('value')).to.equal('2026-03-11');

      // A single day.
      expect((await shown('from=2026-03-12&to=2026-03-12')).keys).to.deep.equal(['e8', 'e7', 'e6', 'e5']);
      // Only a start, only an end.
      expect((await shown('from=2026-03-12')).keys).to.deep.equal(['other@2026-03-20T09:00:00.000Z', 'e8', 'e7', 'e6', 'e5']);
      expect((await shown('to=2026-03-09')).keys).to.deep.equal(['e1', 'other@2026-01-15T12:00:00.000Z']);
    });

    it('combined filters must all hold', async () => {
      const one = await shown('kind=post.scheduled&actor=aigerim&account=%40shop_one&from=2026-03-10&to=2026-03-12');
      expect(one.keys).to.deep.equal(['e5']); // e1 is the day before "from"
      expect(one.count).to.equal('Entries: 1');

      expect((await shown('kind=post.scheduled&from=2026-03-10&to=2026-03-11')).keys).to.deep.equal(['e2']);
      expect((await shown('actor=aigerim&account=shop_one')).keys).to.deep.equal(['e5', 'e3', 'e1']);
      expect((await shown('actor=marat&kind=account.connected')).keys).to.deep.equal([]);

      // The CSV link carries the same selection.
      const href = $(one.html)('a[href^="/settings/audit.csv"]').attr('href');
      expect(queryOf(href)).to.deep.equal({ kind: 'post.scheduled', actor: 'aigerim', account: 'shop_one', from: '2026-03-10', to: '2026-03-12' });
    });
  });

  describe('paging', () => {
    it('shows 100 entries a page; page 2 has the other 50, and the pager links carry the filters', async () => {
      for (let n = 0; n < 150; n += 1) {
        recordAt(t, new Date(Date.parse('2026-03-01T00:00:00Z') + n * 60_000).toISOString(), {
          kind: 'post.scheduled',
          actor: 'bota',
          sourceIp: '192.0.2.20',
          detail: { account: 'shop_page', n },
        });
      }
      // Entries that the filters must keep off both pages.
      recordAt(t, '2026-03-02T00:00:00Z', { kind: 'post.scheduled', actor: 'bota', detail: { account: 'other_shop', n: 999 } });
      recordAt(t, '2026-03-02T00:01:00Z', { kind: 'post.cancelled', actor: 'bota', detail: { account: 'shop_page', n: 998 } });
      const agent = await signInAt(t, OWNER);

      const first = await agent.get('/settings/audit?kind=post.scheduled&account=%40shop_page');
      expect(first.status).to.equal(200);
      const firstRows = pageRows(first.text);
      expect(firstRows).to.have.length(100);
      expect(countLine(first.text)).to.equal('Entries: 150');
      expect(firstRows.map((r) => r.detail)).to.deep.equal(Array.from({ length: 100 }, (_, i) => `account: shop_page, n: ${149 - i}`));
      const firstPager = $(first.text)('nav.pager');
      expect(squash(firstPager.text())).to.contain('Page 1 of 2');
      expect(firstPager.find('a').length).to.equal(1);
      const older = firstPager.find('a').first();
      expect(squash(older.text())).to.equal('Older');
      expect(older.attr('href')?.startsWith('/settings/audit?')).to.equal(true);
      expect(queryOf(older.attr('href'))).to.deep.equal({ kind: 'post.scheduled', account: 'shop_page', page: '2' });

      // Following the link as a browser would.
      const second = await agent.get(older.attr('href') ?? '');
      expect(second.status).to.equal(200);
      const secondRows = pageRows(second.text);
      expect(secondRows).to.have.length(50);
      expect(countLine(second.text)).to.equal('Entries: 150');
      expect(secondRows.map((r) => r.detail)).to.deep.equal(Array.from({ length: 50 }, (_, i) => `account: shop_page, n: ${49 - i}`));
      const secondPager = $(second.text)('nav.pager');
      expect(squash(secondPager.text())).to.contain('Page 2 of 2');
      expect(secondPager.find('a').length).to.equal(1);
      const newer = secondPager.find('a').first();
      expect(squash(newer.text())).to.equal('Newer');
      expect(queryOf(newer.attr('href'))).to.deep.equal({ kind: 'post.scheduled', account: 'shop_page', page: '1' });
      // The filter form keeps the selection on page 2 as well.
      expect($(second.text)('#audit-kind option[selected]').attr('value')).to.equal('post.scheduled');
      expect($(second.text)('#audit-account').attr('value')).to.equal('shop_page');

      // Unfiltered: 152 seeded + the owner's creation + the sign-in = 154 → pages of 100 and 54.
      const all = await agent.get('/settings/audit?page=2');
      expect(pageRows(all.text)).to.have.length(54);
      expect(countLine(all.text)).to.equal('Entries: 154');
      expect(queryOf($(all.text)('nav.pager a').first().attr('href'))).to.deep.equal({ page: '1' });
    });

    it('a page number that is missing, zero or not a number means page 1', async () => {
      for (let n = 0; n < 105; n += 1) recordAt(t, new Date(Date.parse('2026-03-01T00:00:00Z') + n * 60_000).toISOString(), { kind: 'post.scheduled', actor: 'bota', detail: { n } });
      const agent = await signInAt(t, OWNER);
      for (const q of ['', '?page=0', '?page=-3', '?page=abc']) {
        const res = await agent.get(`/settings/audit${q}`);
        expect(res.status, q).to.equal(200);
        expect(pageRows(res.text), q).to.have.length(100);
        expect(squash($(res.text)('nav.pager').text()), q).to.contain('Page 1 of 2');
      }
    });
  });

  describe('CSV download', () => {
    beforeEach(() => {
      setZone(t, OWNER, ALMATY);
      seedLog(t, ownerId);
    });

    it('answers the filtered selection as a text/csv attachment: ISO times and the stored detail as JSON', async () => {
      const agent = await signInAt(t, OWNER);
      const res = await agent.get('/settings/audit.csv?kind=post.scheduled&account=%40shop_one');
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/csv; charset=utf-8$/i);
      expect(res.headers['content-disposition']).to.match(/^attachment; filename="?qanat-audit\.csv"?$/);
      const lines = csvLines(res.text);
      const stored = new Map(storedRows(t).map((r) => [new Date(r.at).toISOString(), r]));
      expect(lines.map((l) => l.at)).to.deep.equal(['2026-03-11T19:10:00.000Z', '2026-03-09T18:50:00.000Z']);
      for (const line of lines) {
        const row = stored.get(line.at);
        expect(row, line.at).not.to.equal(undefined);
        expect(line).to.deep.equal({ at: line.at, kind: 'post.scheduled', actor: 'aigerim', source_ip: '192.0.2.10', detail: row?.detail });
      }
      expect(JSON.parse(lines[0]?.detail ?? 'null')).to.deep.equal(E.e5.detail);
      expect(JSON.parse(lines[1]?.detail ?? 'null')).to.deep.equal(E.e1.detail);
    });

    it('applies the days in the owner\'s zone and the other filters exactly like the page', async () => {
      const agent = await signInAt(t, OWNER);
      for (const q of ['from=2026-03-10&to=2026-03-11', 'actor=marat', 'account=shop_one', 'kind=post.scheduled&actor=aigerim&account=shop_one&from=2026-03-10&to=2026-03-12', '']) {
        const page = pageRows((await agent.get(`/settings/audit?${q}`)).text);
        const csv = await agent.get(`/settings/audit.csv?${q}`);
        expect(csv.status, q).to.equal(200);
        const lines = csvLines(csv.text);
        expect(lines.map((l) => l.at), q).to.deep.equal(page.map((r) => r.datetime));
        expect(lines.map((l) => l.kind), q).to.deep.equal(page.map((r) => r.kind));
      }
      const days = csvLines((await agent.get('/settings/audit.csv?from=2026-03-10&to=2026-03-11')).text);
      expect(seededKeys(days.map((l) => l.at))).to.deep.equal(['e4', 'e3', 'e2']);
    });

    it('unfiltered: every entry once, newest first, empty cells for no actor or address', async () => {
      const agent = await signInAt(t, OWNER);
      const lines = csvLines((await agent.get('/settings/audit.csv')).text);
      const stored = storedRows(t);
      expect(lines).to.deep.equal(
        stored.map((r) => ({ at: new Date(r.at).toISOString(), kind: r.kind, actor: r.actor ?? '', source_ip: r.source_ip ?? '', detail: r.detail })),
      );
      expect(lines.find((l) => l.kind === 'retention.run')).to.deep.include({ actor: '', source_ip: '', detail: '{"removed":5}' });
    });

    it('a detail and an actor with a comma, a quote and a line break round-trip exactly', async () => {
      const detail = { account: 'shop_one', note: 'one, "two"\r\nthree\nfour', quote: '"', comma: ',' };
      const actor = 'Dana, "D."\r\nKaz';
      recordAt(t, '2026-03-13T10:00:00Z', { kind: 'post.decided', actor, sourceIp: '2001:db8::1', detail });
      const agent = await signInAt(t, OWNER);
      const res = await agent.get('/settings/audit.csv?kind=post.decided');
      expect(res.status).to.equal(200);
      const lines = csvLines(res.text);
      expect(lines).to.have.length(1);
      expect(lines[0]?.actor).to.equal(actor);
      expect(lines[0]?.source_ip).to.equal('2001:db8::1');
      expect(lines[0]?.at).to.equal('2026-03-13T10:00:00.000Z');
      expect(JSON.parse(lines[0]?.detail ?? 'null')).to.deep.equal(detail);
      expect(lines[0]?.detail).to.equal(storedRows(t).find((r) => r.kind === 'post.decided')?.detail);
      expect(lines[0]?.detail).to.equal(JSON.stringify(detail));
    });

    it('an actor a spreadsheet would run as a formula is neutralised with a leading apostrophe', async () => {
      recordAt(t, '2026-03-13T10:00:00Z', { kind: 'auth.signin.failure', actor: '=HYPERLINK("http://x","y")', sourceIp: '198.51.100.1' });
      const agent = await signInAt(t, OWNER);
      const lines = csvLines((await agent.get('/settings/audit.csv?kind=auth.signin.failure&from=2026-03-13')).text);
      expect(lines.map((l) => l.actor)).to.deep.equal(['\'=HYPERLINK("http://x","y")']);
    });
  });

  describe('reading changes nothing', () => {
    it('visiting the page (with filters and pages) and downloading the CSV writes no audit row', async () => {
      setZone(t, OWNER, ALMATY);
      seedLog(t, ownerId);
      const agent = await signInAt(t, OWNER);
      const before = storedRows(t);
      expect(before.length).to.equal(auditCount(t));

      for (const path of [
        '/settings/audit',
        '/settings/audit?kind=post.scheduled',
        '/settings/audit?actor=marat&account=%40shop_one&from=2026-03-10&to=2026-03-11&page=2',
        '/settings/audit.csv',
        '/settings/audit.csv?kind=auth.signin.success&from=2026-03-20',
      ]) {
        const res = await agent.get(path);
        expect(res.status, path).to.equal(200);
      }
      expect(storedRows(t)).to.deep.equal(before);
    });
  });
});
