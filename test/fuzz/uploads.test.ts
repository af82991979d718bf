// Issue 12: every hostile or malformed file of test/fuzz/hostile-files.ts goes through the real
// composer (POST /compose, multipart, as an owner: pictures to a feed post, videos to a reel) and
// must be refused with a reason a person can read, wherever the refusal happens: while the form
// is read (the composer comes back, 422, with the file's name and the reason) or while the file is
// prepared in the background (the post page shows the reason on the file). Nothing may be left in
// the media folder for a refused file, and the server keeps serving with bounded memory.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import sharp from 'sharp';
import { loadCatalog } from '../../src/i18n/index.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { flatten } from '../support/catalog.js';
import { mediaFiles, postIdFrom, studio, submit, type Studio } from '../support/content.js';
import { $ } from '../support/http.js';
import { recordReliability } from '../support/reliability.js';
import { HOSTILE, hostileFiles, type MadeFile } from './hostile-files.js';

/**
 * RSS may grow this much over the run. The bombs declare 0.4 to 10 gigapixels (1.2 to 30 GB
 * decoded) and the zTXt chunk inflates to 128 MB; refused from their headers (or never inflated)
 * they cost next to nothing. The honest work of the run (sharp's and ffmpeg's buffers for the
 * files that are decoded) measured about 40–60 MB; decoding a single bomb would cross the bound
 * several times over.
 */
const RSS_BOUND_MB = 200;

const english = flatten(loadCatalog('en'));
/** Every reason Qanat gives for refusing a file, as a pattern over the English text. */
const REASONS = [...english].filter(([k]) => k.startsWith('media.reason.') && k !== 'media.reason.unexpected').map(([k, text]) => ({ key: k, pattern: new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{\\\{\s*\w+\s*\\\}\\\}/g, '.+?')) }));
/** A raw i18n key on a page means a translation was missed. */
const RAW_KEY = /\b(media|content|error|engagement)\.[a-z]\w*\.[\w.]+/;
const STACK = [/ {4}at \S/, /\bError:/, /node_modules/, /\.ts:\d+:\d+/];

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

interface Outcome {
  name: string;
  mustReject: boolean;
  verdict: 'refused on upload' | 'refused while preparing' | 'accepted' | 'check failed';
  reason: string;
  leftPost: boolean;
}

describe('hostile uploads through the composer', function () {
  this.timeout(600_000);
  let t: TestApp;
  let s: Studio;
  let files: MadeFile[];
  let rssStart = 0;
  let rssPeak = 0;
  const outcomes: Outcome[] = [];

  before(async function () {
    this.timeout(300_000);
    files = await hostileFiles();
    t = createTestApp();
    s = await studio(t, 'owner');
    rssStart = process.memoryUsage().rss;
  });

  after(() => {
    const refused = outcomes.filter((o) => o.verdict === 'refused on upload' || o.verdict === 'refused while preparing');
    recordReliability('hostile-uploads', {
      title: 'Hostile upload files',
      figures: {
        files: outcomes.length,
        'hostile (must be refused)': outcomes.filter((o) => o.mustReject).length,
        rejected: refused.filter((o) => o.mustReject).length,
        'refused on upload': refused.filter((o) => o.verdict === 'refused on upload').length,
        'refused while preparing': refused.filter((o) => o.verdict === 'refused while preparing').length,
        accepted: outcomes.filter((o) => o.mustReject && o.verdict === 'accepted').length,
        'valid after all (accepted, stored re-encoded)': outcomes.filter((o) => !o.mustReject && o.verdict === 'accepted').length,
        'empty drafts left by a refused upload': outcomes.filter((o) => o.verdict === 'refused on upload' && o.leftPost).length,
        'RSS growth (MB)': Math.round((rssPeak - rssStart) / 1048576),
        'RSS bound (MB)': RSS_BOUND_MB,
        'checks failed': outcomes.filter((o) => o.verdict === 'check failed').length,
      },
      notes: outcomes.map((o) => `${o.name} — ${o.verdict === 'accepted' ? 'accepted (a valid file after all; only the re-encoded copy is kept)' : `${o.verdict}: “${o.reason}”`}`),
    });
    t?.close();
  });

  for (const spec of HOSTILE) {
    it(`${spec.name} (${spec.what}) ${spec.mayBeAccepted ? 'is refused with a reason, or stored only re-encoded' : 'is refused with a reason the owner can read'}`, async () => {
      const file = files.find((f) => f.name === spec.name) as MadeFile;
      try {
        await check(file);
      } catch (error) {
        // Recorded too (in place of any earlier verdict), so the report lists every file and what went wrong.
        const earlier = outcomes.findIndex((o) => o.name === file.name);
        if (earlier >= 0) outcomes.splice(earlier, 1);
        outcomes.push({ name: file.name, mustReject: !file.mayBeAccepted, verdict: 'check failed', reason: error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error), leftPost: false });
        throw error;
      }
    });
  }

  /** Uploads one file and follows it to where it is refused (or accepted); records the outcome. */
  async function check(file: MadeFile): Promise<void> {
    const caption = `Kept caption for ${path.basename(file.name)} — ünïcødé ✓`;
    const before = { posts: ids('posts'), media: ids('post_media'), files: new Set(mediaFiles(t)) };
    const res = await upload(file, caption);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const where = `${file.name}: HTTP ${res.status}`;
    expect(res.status, `${where} ${res.text.slice(0, 300)}`).to.be.oneOf([303, 422]);
    const newPosts = ids('posts').filter((id) => !before.posts.includes(id));
    await t.services.mediaWorker.idle();
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

    let outcome: Outcome;
    if (res.status === 422) {
      const page = fullPage(res.text, where);
      expect(page('textarea[name="caption"]').text(), `${where}: the caption is kept`).to.equal(caption);
      const reason = reasonOn(page, where);
      const newRows = ids('post_media').filter((id) => !before.media.includes(id));
      const failedRows = newRows.filter((id) => mediaRow(id).status === 'failed');
      // Refused while reading the form: no row, nothing on disk. Refused by a preparation that
      // finished within the composer's wait: a failed row showing the reason.
      if (newRows.length === 0) {
        expect(page('#problems li').text(), `${where}: the problem names the file`).to.contain(`${displayName(file)}:`);
        expect(newFiles(before.files), `${where}: nothing left in the media folder`).to.deep.equal([]);
        outcome = { name: file.name, mustReject: !file.mayBeAccepted, verdict: 'refused on upload', reason, leftPost: newPosts.length > 0 };
      } else {
        expect(failedRows, `${where}: the file's row is marked failed`).to.deep.equal(newRows);
        outcome = await refusedWhilePreparing(file, newPosts, failedRows, before.files);
      }
    } else {
      const postId = postIdFrom(res.headers['location']);
      const rows = t.services.posts.repo.mediaOf(postId);
      expect(rows, `${where}: one row for the file`).to.have.length(1);
      const row = rows[0] as NonNullable<(typeof rows)[0]>;
      if (row.status === 'failed') outcome = await refusedWhilePreparing(file, newPosts, [row.id], before.files);
      else {
        expect(row.status, `${where}: prepared`).to.equal('ready');
        await storedReEncoded(row.kind, t.services.media.fileOf(row, row.outputFile as string), where);
        outcome = { name: file.name, mustReject: !file.mayBeAccepted, verdict: 'accepted', reason: '', leftPost: true };
      }
    }
    outcomes.push(outcome);
    for (const id of newPosts) await removePost(id);
    expect(newFiles(before.files), `${where}: deleting the post removes every file`).to.deep.equal([]);
    expect((await s.agent.get('/queue')).status, 'the server keeps serving').to.equal(200);
    if (!file.mayBeAccepted) expect(outcome.verdict, `${file.name} must be refused`).to.not.equal('accepted');
  }

  it('refuses at least 30 hostile files and accepts none of them', () => {
    const hostile = outcomes.filter((o) => o.mustReject);
    expect(hostile.length).to.be.at.least(30);
    expect(hostile.filter((o) => o.verdict === 'accepted').map((o) => o.name)).to.deep.equal([]);
  });

  it(`keeps memory bounded through the bombs: RSS grows less than ${RSS_BOUND_MB} MB`, () => {
    console.log(`      RSS ${Math.round(rssStart / 1048576)} MB at the start, ${Math.round(rssPeak / 1048576)} MB at the peak`);
    expect((rssPeak - rssStart) / 1048576).to.be.lessThan(RSS_BOUND_MB);
  });

  it('a file refused while the form is read leaves no post behind', () => {
    const left = outcomes.filter((o) => o.verdict === 'refused on upload' && o.leftPost).map((o) => o.name);
    expect(left, 'files whose refusal still created an (empty) draft post').to.deep.equal([]);
  });

  // ——— helpers ———

  function ids(table: 'posts' | 'post_media'): number[] {
    return (t.db.sqlite.prepare(`SELECT id FROM ${table} ORDER BY id`).all() as Array<{ id: number }>).map((r) => r.id);
  }

  function mediaRow(id: number) {
    const row = t.services.posts.repo.findMedia(id);
    if (!row) throw new Error(`no media row ${id}`);
    return row;
  }

  const newFiles = (before: Set<string>) => mediaFiles(t).filter((f) => !before.has(f));

  /** What the page shows for the file: its name's last segment, never a path. */
  function displayName(file: MadeFile): string {
    return file.disposition ? 'evil.php.jpg' : path.basename(file.name);
  }

  /** Schedules a post with the file an hour from now, so preparation problems block it too. */
  function upload(file: MadeFile, caption: string) {
    const at = new Date(t.clock.now() + 3_600_000).toISOString();
    const fields = { type: file.target, caption, date: at.slice(0, 10), time: at.slice(11, 16), timeZone: 'UTC', action: 'schedule' };
    const bytes = fs.readFileSync(file.path);
    if (!file.disposition) return submit(s, '/compose', { fields, files: [{ name: file.name, bytes }] });
    // A name no quoted string can carry (an encoded NUL): the part is written by hand.
    const boundary = 'hostileBoundary';
    const field = (n: string, v: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`;
    const head = [field('_csrf', s.csrf), field('accountId', String(s.accountId)), ...Object.entries(fields).map(([k, v]) => field(k, v))].join('');
    const body = Buffer.concat([Buffer.from(`${head}--${boundary}\r\nContent-Disposition: form-data; name="files"; ${file.disposition}\r\nContent-Type: image/jpeg\r\n\r\n`), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    return s.agent.post('/compose').set('content-type', `multipart/form-data; boundary=${boundary}`).send(body);
  }

  function fullPage(html: string, where: string): CheerioAPI {
    expect(html, `${where}: a whole page`).to.match(/^\s*<!doctype html>/i);
    expect(html, `${where}: a whole page`).to.match(/<\/html>\s*$/i);
    for (const marker of STACK) expect(html, `${where}: no stack trace`).to.not.match(marker);
    return $(html);
  }

  /** The reason shown for the file: one of media.reason.*'s English texts, no raw key. */
  function reasonOn(page: CheerioAPI, where: string): string {
    const shown = [...page('#problems li').toArray(), ...page('.media-item .field__error').toArray()].map((el) => squash(page(el).text()));
    const text = squash(page('main').text());
    expect(text, `${where}: no raw i18n key`).to.not.match(RAW_KEY);
    const reason = shown.find((line) => REASONS.some((r) => r.pattern.test(line)));
    expect(reason, `${where}: a reason a person understands among ${JSON.stringify(shown)}`).to.be.a('string');
    return (reason as string).replace(/^.*?: /, '');
  }

  /** Accepted by its header, refused in the background: the post page shows why, and no output was made. */
  async function refusedWhilePreparing(file: MadeFile, newPosts: number[], rowIds: number[], before: Set<string>): Promise<Outcome> {
    const where = `${file.name} (refused while preparing)`;
    const row = mediaRow(rowIds[0] as number);
    expect(row.errorKey, where).to.match(/^media\.reason\./);
    expect(row.errorKey, `${where}: a reason, not "something went wrong"`).to.not.equal('media.reason.unexpected');
    expect(row.outputFile, `${where}: nothing was produced`).to.equal(null);
    expect(newFiles(before).map((f) => path.basename(f)), `${where}: only the upload itself is kept, for the owner to replace`).to.deep.equal([row.sourceFile]);
    const res = await s.agent.get(`/posts/${row.postId}`);
    expect(res.status, where).to.equal(200);
    const page = fullPage(res.text, where);
    expect(page('textarea[name="caption"]').text(), `${where}: the caption is kept`).to.contain('Kept caption for');
    return { name: file.name, mustReject: !file.mayBeAccepted, verdict: 'refused while preparing', reason: reasonOn(page, where), leftPost: newPosts.length > 0 };
  }

  /** What an accepted file becomes: a re-encoded JPEG without metadata, or an H.264 MP4. */
  async function storedReEncoded(kind: string, output: string, where: string): Promise<void> {
    const bytes = fs.readFileSync(output);
    if (kind === 'image') {
      const meta = await sharp(bytes).metadata();
      expect(meta.format, where).to.equal('jpeg');
      expect(meta.exif, `${where}: no EXIF kept`).to.equal(undefined);
      for (const payload of ['PK\u0003\u0004', '<script', '<!doctype', 'zTXt']) expect(bytes.includes(Buffer.from(payload, 'latin1')), `${where}: no ${payload} carried over`).to.equal(false);
    } else {
      expect(bytes.toString('latin1', 4, 8), `${where}: an MP4`).to.equal('ftyp');
    }
  }

  /** Through the real confirmation form, as the owner would. */
  async function removePost(id: number): Promise<void> {
    const res = await s.agent.post(`/posts/${id}/delete`).type('form').send({ _csrf: s.csrf });
    expect(res.status, `deleting post ${id}`).to.equal(303);
  }
});
