// security.md row 28: after Meta's deletion callback or a disconnect, the person's data is gone
// from the disk too — not only from the tables. In WAL mode the deleted rows' old page images stay
// in qanat.db-wal until a checkpoint; both files are searched byte for byte here.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { signRequest } from '../../../src/instagram/signed-request.js';
import { schedulePost, stage, type Stage } from '../../support/publishing.js';

function onDisk(s: Stage, marker: string): string[] {
  const found: string[] = [];
  for (const file of ['qanat.db', 'qanat.db-wal']) {
    const full = path.join(s.t.dir, file);
    if (fs.existsSync(full) && fs.readFileSync(full).includes(Buffer.from(marker, 'utf8'))) found.push(file);
  }
  return found;
}

describe('deleted data is gone from the database file and its WAL (security.md 28)', function () {
  this.timeout(60_000);
  let s: Stage;
  beforeEach(async () => {
    s = await stage();
  });
  afterEach(async () => {
    await s.live.close();
  });

  async function seed(marker: string): Promise<string> {
    await schedulePost(s, { caption: `Caption ${marker}` });
    const account = s.t.services.accounts.repo.findById(s.accountId);
    if (!account) throw new Error('no account');
    // Written to the database file proper (as time would), then deleted: the hard case.
    s.t.db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    expect(onDisk(s, marker), 'the caption is on disk before').to.include('qanat.db');
    return account.appScopedId;
  }

  it("after Meta's data-deletion callback, a caption and the username are in neither qanat.db nor qanat.db-wal", async () => {
    const marker = 'wal-scrub-deletion-7c1f';
    const userId = await seed(marker);
    const username = s.t.services.accounts.repo.findById(s.accountId)?.username ?? '';
    const signed = signRequest({ algorithm: 'HMAC-SHA256', user_id: userId, issued_at: Math.floor(Date.now() / 1000) }, s.t.services.instagram.appSecret);
    const res = await request(s.live.url).post('/data-deletion').type('form').send({ signed_request: signed });
    expect(res.status).to.equal(200);
    expect(onDisk(s, marker)).to.deep.equal([]);
    expect(onDisk(s, `"${username}"`).concat(onDisk(s, username)), `username ${username}`).to.deep.equal([]);
  });

  it('after a disconnect, the caption of a queued post is in neither qanat.db nor qanat.db-wal', async () => {
    const marker = 'wal-scrub-disconnect-93ab';
    await seed(marker);
    const res = await s.agent.post(`/accounts/${s.accountId}/disconnect`).type('form').send({ _csrf: s.csrf, confirm: 'yes' });
    expect(res.status, res.text.slice(0, 500)).to.be.oneOf([302, 303]);
    expect(s.t.services.accounts.repo.findById(s.accountId)).to.equal(undefined);
    expect(onDisk(s, marker)).to.deep.equal([]);
  });
});
