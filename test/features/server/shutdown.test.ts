import fs from 'node:fs';
import { expect } from 'chai';
import { tempDir } from '../../support/app.js';
import { csrfFrom } from '../../support/http.js';
import { baseEnv, freePort, startServer, type Server } from '../../support/process.js';

describe('graceful shutdown', function () {
  this.timeout(60_000);
  let dir: string;
  let server: Server | undefined;
  afterEach(() => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM while a request is in flight: the response completes, then the process exits 0 within 10 s', async () => {
    dir = tempDir();
    const port = await freePort();
    // A deliberately slow argon2 so the setup request (one hash) is still running when SIGTERM lands.
    server = await startServer(baseEnv(dir, { ARGON2_TIME_COST: '60', PUBLIC_URL: `http://127.0.0.1:${port}` }), port, /setup code [A-Z0-9-]+/);
    const code = /setup code ([A-Z0-9-]+)/.exec(server.output())?.[1];
    expect(code, 'setup code in the log').to.be.a('string');
    const base = `http://127.0.0.1:${port}`;
    const form = await fetch(`${base}/setup`);
    const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const body = new URLSearchParams({ _csrf: csrfFrom(await form.text()), code: code ?? '', username: 'owner', password: 'a long enough password', passwordConfirm: 'a long enough password' });

    const started = Date.now();
    const inFlight = fetch(`${base}/setup`, { method: 'POST', body, headers: { cookie }, redirect: 'manual' });
    await new Promise((r) => setTimeout(r, 150));
    const signalled = Date.now();
    server.child.kill('SIGTERM');

    const response = await inFlight;
    expect(response.status, 'the in-flight request completed').to.equal(303);
    expect(response.headers.get('location')).to.equal('/');
    const exit = await server.exited;
    expect(exit.code).to.equal(0);
    expect(exit.at - signalled).to.be.lessThan(10_000);
    expect(signalled - started).to.be.lessThan(1_000);
    expect(server.output()).to.contain('shutting down');
    expect(server.output()).to.contain('"msg":"stopped"');
    // Nothing listens any more.
    const refused = await fetch(`${base}/healthz`).then(() => false, () => true);
    expect(refused).to.equal(true);
  });

  it('SIGINT with idle keep-alive connections exits 0 promptly', async () => {
    dir = tempDir();
    const port = await freePort();
    server = await startServer(baseEnv(dir), port);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).to.equal(200);
    const signalled = Date.now();
    server.child.kill('SIGINT');
    const exit = await server.exited;
    expect(exit.code).to.equal(0);
    expect(exit.at - signalled).to.be.lessThan(5_000);
  });
});
