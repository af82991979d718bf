import { expect } from 'chai';
import { GraphError } from '../../../src/instagram/graph-error.js';
import { normaliseCodeExchange } from '../../../src/instagram/oauth.js';
import { authorize, longLivedToken, REDIRECT_URI, startSimulator, type SimHarness } from '../../support/simulator.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('OAuth against the simulator (contract §1)', () => {
  let h: SimHarness;
  beforeEach(async () => {
    h = await startSimulator();
  });
  afterEach(() => h.close());

  it('the authorize URL carries client_id, the exact redirect_uri, response_type=code, every scope and the state', () => {
    const url = new URL(h.client.oauth.authorizeUrl('xyz'));
    expect(url.pathname).to.equal('/www/oauth/authorize');
    expect(url.searchParams.get('client_id')).to.equal(h.sim.options.appId);
    expect(url.searchParams.get('redirect_uri')).to.equal(REDIRECT_URI);
    expect(url.searchParams.get('response_type')).to.equal('code');
    expect(url.searchParams.get('scope')?.split(',')).to.include.members(['instagram_business_basic', 'instagram_business_content_publish', 'instagram_business_manage_insights']);
    expect(url.searchParams.get('state')).to.equal('xyz');
  });

  it('exchanges a code with a form POST and keeps the app-scoped user id as an exact string beyond 2^53', async () => {
    const code = await authorize(h);
    const short = await h.client.oauth.exchangeCode(code);
    const request = h.requests.at(-1)!;
    expect(request.method).to.equal('POST');
    expect(request.url.pathname).to.equal('/api/oauth/access_token');
    const form = new URLSearchParams(request.body);
    expect(form.get('grant_type')).to.equal('authorization_code');
    expect(form.get('redirect_uri')).to.equal(REDIRECT_URI);
    expect(form.get('client_secret')).to.equal(h.sim.options.appSecret);
    expect(short.accessToken).to.match(/^IGAA/);
    expect(short.userId).to.equal(h.sim.state.primaryAccount().appScopedId);
    expect(BigInt(short.userId) > BigInt(Number.MAX_SAFE_INTEGER)).to.equal(true);
    expect(short.permissions).to.include('instagram_business_basic');
  });

  it('accepts the documented data[] shape of the exchange too', async () => {
    await h.close();
    h = await startSimulator({ exchangeShape: 'wrapped' });
    const short = await h.client.oauth.exchangeCode(await authorize(h));
    expect(short.userId).to.equal(h.sim.state.primaryAccount().appScopedId);
    expect(short.permissions).to.include('instagram_business_manage_comments');
    expect(normaliseCodeExchange({ access_token: 'IGAA1', user_id: 5, permissions: 'a,b' })).to.deep.equal({ accessToken: 'IGAA1', userId: '5', permissions: ['a', 'b'] });
  });

  it('a code used twice fails with the legacy OAuth error shape', async () => {
    const code = await authorize(h);
    await h.client.oauth.exchangeCode(code);
    const error = await h.client.oauth.exchangeCode(code).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(GraphError);
    expect((error as GraphError).httpStatus).to.equal(400);
    expect((error as GraphError).message).to.equal('Invalid authorization code');
    expect((error as GraphError).errorClass).to.equal('permanent');
  });

  it('a code older than one hour fails', async () => {
    const code = await authorize(h);
    h.clock.advance(HOUR + 1000);
    const error = await h.client.oauth.exchangeCode(code).then(() => undefined, (e: unknown) => e);
    expect((error as GraphError).message).to.equal('Invalid authorization code');
  });

  it('a denied consent redirects with error=access_denied', async () => {
    expect(await authorize(h, { deny: true })).to.equal('error:access_denied');
  });

  it('exchanges a short token for a 60-day token with the token in the Authorization header, never in the URL', async () => {
    const long = await longLivedToken(h);
    const request = h.requests.at(-1)!;
    expect(request.url.pathname).to.equal('/graph/access_token');
    expect(request.url.searchParams.get('grant_type')).to.equal('ig_exchange_token');
    expect(request.url.searchParams.has('access_token')).to.equal(false);
    expect(request.headers.get('authorization')).to.match(/^Bearer IGAA/);
    expect(long).to.match(/^IGAA/);
    expect(h.sim.state.tokens.get(long)?.expiresAt).to.equal(h.clock.now() + 60 * DAY);
  });

  it('refusing to refresh a token younger than 24 h; refreshing it later gives a new 60-day token', async () => {
    const long = await longLivedToken(h);
    const early = await h.client.oauth.refresh(long).then(() => undefined, (e: unknown) => e);
    expect(early).to.be.instanceOf(GraphError);
    expect((early as GraphError).code).to.equal(100);
    h.clock.advance(DAY + 1000);
    const refreshed = await h.client.oauth.refresh(long);
    expect(refreshed.expiresIn).to.equal(60 * 24 * 3600);
    expect(refreshed.accessToken).not.to.equal(long);
    expect(h.requests.at(-1)!.url.pathname).to.equal('/graph/refresh_access_token');
  });

  it('an expired token answers 190/463 and is classified reconnect', async () => {
    const long = await longLivedToken(h);
    h.clock.advance(61 * DAY);
    const error = (await h.client.publishing.me(long).then(() => undefined, (e: unknown) => e)) as GraphError;
    expect(error.code).to.equal(190);
    expect(error.subcode).to.equal(463);
    expect(error.message).to.contain('Session has expired');
    expect(error.errorClass).to.equal('reconnect');
  });

  it('/me answers both ids, the username and the account type', async () => {
    const long = await longLivedToken(h);
    const me = await h.client.publishing.me(long);
    const account = h.sim.state.primaryAccount();
    expect(me.user_id).to.equal(account.igId);
    expect(me.id).to.equal(account.appScopedId);
    expect(me.username).to.equal('steppe_coffee');
    expect(me.account_type).to.be.oneOf(['BUSINESS', 'MEDIA_CREATOR']);
    expect(me.followers_count).to.be.greaterThan(1000);
    expect(me.profile_picture_url).to.equal(`${h.base}/cdn/profile.jpg`);
    const picture = await fetch(me.profile_picture_url ?? '');
    expect(picture.headers.get('content-type')).to.equal('image/jpeg');
    const request = h.requests.at(-1)!;
    expect(request.url.pathname).to.equal('/graph/v25.0/me');
    expect(request.url.searchParams.get('fields')).to.contain('user_id');
  });
});
