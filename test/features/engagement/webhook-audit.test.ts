// security.md row 32: webhook signature failures (and handshakes with a wrong verify token) are in
// the audit log with time and source address — at most one entry a minute per address, so a flood
// of junk cannot fill the log; the entry after a quiet minute says how many were refused meanwhile.
import { expect } from 'chai';
import request from 'supertest';
import { stage, type Stage } from '../../support/publishing.js';

interface AuditRow {
  kind: string;
  at: number;
  source_ip: string | null;
  detail: string;
}

function refusals(s: Stage): AuditRow[] {
  return s.t.db.sqlite.prepare("SELECT kind, at, source_ip, detail FROM audit_log WHERE kind = 'webhook.refused' ORDER BY id").all() as AuditRow[];
}

describe('refused webhooks are audited (security.md 32)', function () {
  this.timeout(60_000);
  let s: Stage;
  before(async () => {
    s = await stage();
  });
  after(async () => {
    await s.live.close();
  });

  it('a wrong X-Hub-Signature-256 is audited with time and source address, once a minute per address, with the count refused in between', async () => {
    const body = JSON.stringify({ object: 'instagram', entry: [] });
    const forged = () => request(s.live.url).post('/webhooks/instagram').set('content-type', 'application/json').set('x-hub-signature-256', `sha256=${'0'.repeat(64)}`).send(body);
    for (let i = 0; i < 5; i += 1) expect((await forged()).status).to.equal(401);
    let rows = refusals(s);
    expect(rows).to.have.length(1);
    expect(rows[0]?.at).to.equal(s.t.clock.now());
    expect(rows[0]?.source_ip).to.match(/127\.0\.0\.1/);
    expect(JSON.parse(rows[0]?.detail ?? '{}')).to.deep.equal({ reason: 'signature' });
    s.t.clock.advance(61_000);
    expect((await forged()).status).to.equal(401);
    rows = refusals(s);
    expect(rows).to.have.length(2);
    expect(JSON.parse(rows[1]?.detail ?? '{}')).to.deep.equal({ reason: 'signature', alsoRefusedSinceLastEntry: 4 });
  });

  it('a handshake with a wrong verify token is audited too', async () => {
    s.t.clock.advance(61_000);
    const res = await request(s.live.url).get('/webhooks/instagram').query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'not-the-token', 'hub.challenge': '12345' });
    expect(res.status).to.equal(403);
    const last = refusals(s).at(-1);
    expect(JSON.parse(last?.detail ?? '{}')).to.deep.equal({ reason: 'verify_token' });
  });
});
