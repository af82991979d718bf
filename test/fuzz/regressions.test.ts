// The bugs the fuzzers found, each pinned by a request that used to trigger it (issue 12: "any bug
// it found along the way is fixed with a regression test").
import net from 'node:net';
import { expect } from 'chai';
import { startLiveApp, type LiveApp } from '../support/browser.js';
import { createAccount, createUser } from '../support/factories.js';
import { photo, submit, type Studio } from '../support/content.js';
import { $, csrfFrom } from '../support/http.js';
import { signInLive } from '../support/accounts.js';

function count(live: LiveApp, sql: string): number {
  return (live.t.db.sqlite.prepare(sql).get() as { n: number }).n;
}

/** One raw HTTP/1.1 request on a socket we keep, so what happens to the connection is visible; resolves at the answer's headers. */
function rawRequest(port: number, text: string): Promise<{ answer: string; socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      // The status line and headers are what these tests read.
      if (answer.includes('\r\n\r\n')) resolve({ answer, socket, closed });
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

describe('regressions found by fuzzing', function () {
  this.timeout(60_000);
  let live: LiveApp;
  let s: Studio;
  let cookie: string;
  beforeEach(async () => {
    live = await startLiveApp();
    const owner = await createUser(live.t, { username: 'owner' });
    const account = createAccount(live.t);
    const agent = await signInLive(live, owner.username);
    const page = await agent.get('/queue');
    s = { t: live.t, agent, accountId: account.id, csrf: csrfFrom(page.text) };
    const jar = (agent as unknown as { jar: { getCookies(o: object): Array<{ name: string; value: string }> } }).jar;
    cookie = jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false }).map((c) => `${c.name}=${c.value}`).join('; ');
  });
  afterEach(async () => {
    await live.close();
  });

  it('a multipart body that ends inside a file part (no closing boundary) answers 400 and the process keeps serving', async () => {
    const port = Number(new URL(live.url).port);
    const boundary = 'fuzzboundary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${s.csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="cut.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0partial`;
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', onCrash);
    try {
      const { answer, socket } = await rawRequest(port, `POST /compose HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`);
      socket.destroy();
      expect(answer).to.match(/^HTTP\/1\.1 400/);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      process.off('uncaughtException', onCrash);
    }
    expect(crashes, 'an uncaught exception would end the process').to.deep.equal([]);
    expect((await s.agent.get('/healthz')).status).to.equal(200);
  });

  it('POST routes that read fields answer without a 500 when the body is JSON or text (req.body was undefined)', async () => {
    for (const path of ['/accounts/select', '/privacy/acknowledge', '/analytics/refresh', '/inbox/sync']) {
      const json = await s.agent.post(path).set('x-csrf-token', s.csrf).set('content-type', 'application/json').send('{"a":1}');
      expect(json.status, `${path} with JSON`).to.be.below(500);
      const text = await s.agent.post(path).set('x-csrf-token', s.csrf).set('content-type', 'text/plain').send('hello');
      expect(text.status, `${path} with text`).to.be.below(500);
    }
  });

  it('a multipart form refused before its body was read closes the connection, so the unread rest is not taken for the next request', async () => {
    const port = Number(new URL(live.url).port);
    const boundary = 'b';
    // A file before the token: refused (403) at the first file part, with most of the body unread.
    const filler = 'x'.repeat(256 * 1024);
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n${filler}\r\n--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${s.csrf}\r\n--${boundary}--\r\n`;
    const { answer, closed } = await rawRequest(port, `POST /compose HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(answer).to.match(/^HTTP\/1\.1 403/);
    expect(answer.toLowerCase()).to.contain('connection: close');
    await closed;
  });

  it("the owner cannot reset their own password through the users page (that would skip the current password and the throttle)", async () => {
    const owner = live.t.db.sqlite.prepare("SELECT id, password_hash AS hash FROM users WHERE username = 'owner'").get() as { id: number; hash: string };
    const res = await s.agent.post(`/settings/users/${owner.id}/password`).type('form').send({ _csrf: s.csrf, password: 'a brand new password 123' });
    expect(res.status).to.be.within(400, 499);
    expect($(res.text)('main').text()).to.contain('Settings → Password');
    const after = live.t.db.sqlite.prepare('SELECT password_hash AS hash FROM users WHERE id = ?').get(owner.id) as { hash: string };
    expect(after.hash).to.equal(owner.hash);
  });

  it('a new post whose only file is refused at upload leaves no empty draft behind, and the form comes back with the caption', async () => {
    const before = count(live, 'SELECT count(*) AS n FROM posts');
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Kept caption', action: 'draft' }, files: [{ name: 'page.jpg', bytes: Buffer.from('<!doctype html><p>not a photo</p>') }] });
    expect(res.status).to.equal(422);
    expect(count(live, 'SELECT count(*) AS n FROM posts')).to.equal(before);
    expect($(res.text)('textarea[name="caption"]').text()).to.equal('Kept caption');
    expect($(res.text)('#problems').text()).to.contain('page.jpg');
  });

  it('a chosen file with no bytes is refused by name with a reason, not silently dropped', async () => {
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Empty file', action: 'draft' }, files: [{ name: 'empty.jpg', bytes: Buffer.alloc(0) }] });
    expect(res.status).to.equal(422);
    expect($(res.text)('#problems').text()).to.contain('empty.jpg');
    // A real photo alongside still works: the empty part of an unused file input is ignored.
    const ok = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Real photo', action: 'draft' }, files: [{ name: 'real.jpg', bytes: await photo(1080, 1080) }] });
    expect(ok.status).to.equal(303);
  });
});

