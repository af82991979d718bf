import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import sharp from 'sharp';
import { GraphError } from '../../../src/instagram/graph-error.js';
import { connectAccount, signInLive } from '../../support/accounts.js';
import { startLiveApp, type LiveApp } from '../../support/browser.js';
import { createUser } from '../../support/factories.js';

describe('the simulator mounted inside Qanat (sandbox mode)', function () {
  this.timeout(30_000);
  let live: LiveApp;
  let elsewhere: http.Server;
  let elsewhereUrl: string;

  before(async () => {
    const jpeg = await sharp({ create: { width: 1080, height: 1080, channels: 3, background: '#0f766e' } }).jpeg().toBuffer();
    elsewhere = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/photo.jpg`;
  });
  after(() => new Promise<void>((resolve) => elsewhere.close(() => resolve())));
  beforeEach(async () => {
    live = await startLiveApp();
  });
  afterEach(() => live.close());

  it('fetches media only from Qanat itself, so a sandbox token cannot make the appliance fetch other addresses', async () => {
    await createUser(live.t, { username: 'owner' });
    const agent = await signInLive(live, 'owner');
    const id = await connectAccount(live, agent);
    const account = live.t.services.accounts.repo.findById(id)!;
    const token = live.t.services.accounts.tokenOf(account);
    const refusal = await live.t.services.instagram.client.publishing
      .createImage(token, account.igUserId, { imageUrl: elsewhereUrl })
      .then(() => undefined, (e: unknown) => e);
    expect(refusal).to.be.instanceOf(GraphError);
    expect((refusal as GraphError).subcode).to.equal(2207052);
    // The same picture served by Qanat's own origin is accepted.
    const own = await live.t.services.instagram.client.publishing.createImage(token, account.igUserId, { imageUrl: `${live.url}/sandbox/cdn/${account.igUserId}.jpg` });
    expect(own).to.match(/^\d+$/);
  });

  it('has no control API: faults and clock cannot be changed over HTTP', async () => {
    for (const pathname of ['/sandbox/__control/state', '/sandbox/__control/faults']) {
      const res = await fetch(live.url + pathname, { method: pathname.endsWith('faults') ? 'POST' : 'GET', redirect: 'manual' });
      // Not a simulator route: Qanat answers (redirect to setup, CSRF refusal or not found).
      expect(res.status, pathname).to.be.oneOf([303, 403, 404]);
    }
  });
});
