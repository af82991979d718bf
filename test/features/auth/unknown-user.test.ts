// security.md row 4: an unknown username and a wrong password get the same answer, and the
// unknown username still pays for a password hash, so timing does not tell them apart.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { $, agentFor, csrfToken, type Agent } from '../../support/http.js';

const WRONG = 'not the password at all';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

describe('unknown username versus wrong password', () => {
  let t: TestApp;
  let agent: Agent;
  let token: string;
  beforeEach(async () => {
    // High limits: this test makes many failures on purpose and measures them, not the lock.
    t = createTestApp({ LOGIN_MAX_FAILURES_PER_USERNAME: '1000', LOGIN_MAX_FAILURES_PER_IP: '1000' });
    await createUser(t, { username: 'aigerim' });
    agent = agentFor(t);
    token = await csrfToken(agent, '/login');
  });
  afterEach(() => t.close());

  async function post(username: string) {
    return agent.post('/login').type('form').send({ _csrf: token, username, password: WRONG });
  }

  async function timed(username: string): Promise<number> {
    const started = process.hrtime.bigint();
    const res = await post(username);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(res.status).to.equal(401);
    return ms;
  }

  it('POST /login answers an unknown username and a wrong password with the same status and message', async () => {
    const wrongPassword = await post('aigerim');
    const unknownUser = await post('nobody-here');
    expect(unknownUser.status).to.equal(wrongPassword.status);
    expect(wrongPassword.status).to.equal(401);
    const alertOf = (html: string) => $(html)('[role="alert"]').text().trim();
    expect(alertOf(unknownUser.text)).to.equal(alertOf(wrongPassword.text));
    expect(alertOf(wrongPassword.text)).to.contain('not correct');
  });

  it('POST /login renders the same page for an unknown username and a wrong password, apart from the echoed username', async () => {
    const wrongPassword = await post('aigerim');
    const unknownUser = await post('nobody-here');
    const normalised = (html: string) => {
      const page = $(html);
      page('input[name="username"]').attr('value', '');
      return page.html();
    };
    expect(normalised(unknownUser.text)).to.equal(normalised(wrongPassword.text));
    expect(unknownUser.headers['retry-after']).to.equal(undefined);
    expect(unknownUser.headers['set-cookie']).to.deep.equal(wrongPassword.headers['set-cookie']);
  });

  it('POST /login takes about as long for an unknown username as for a wrong password (both pay for a hash)', async () => {
    // Warm-up: the first unknown username also builds the dummy hash; the first view render compiles.
    await post('warm-up-unknown');
    await post('aigerim');
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      // Interleaved, so background load hits both sides alike.
      wrong.push(await timed('aigerim'));
      unknown.push(await timed(`nobody${i}`));
    }
    const unknownMedian = median(unknown);
    const wrongMedian = median(wrong);
    const detail = `unknown ${unknownMedian.toFixed(1)} ms vs wrong password ${wrongMedian.toFixed(1)} ms`;
    // Generous bounds for a loaded 2-core machine; without the dummy hash the ratio is ~0.05.
    expect(unknownMedian, detail).to.be.at.least(0.5 * wrongMedian);
    expect(unknownMedian, detail).to.be.at.most(2.5 * wrongMedian);
  });

  it('an empty username is answered like a wrong password and still pays for a hash', async () => {
    const wrongPassword = await post('aigerim');
    const empty = await post('');
    expect(empty.status).to.equal(wrongPassword.status);
    expect($(empty.text)('[role="alert"]').text().trim()).to.equal($(wrongPassword.text)('[role="alert"]').text().trim());
    const wrongMs = median([await timed('aigerim'), await timed('aigerim'), await timed('aigerim')]);
    const emptyMs = median([await timed(''), await timed(''), await timed('')]);
    expect(emptyMs, `empty ${emptyMs.toFixed(1)} ms vs wrong ${wrongMs.toFixed(1)} ms`).to.be.at.least(0.5 * wrongMs);
  });
});
