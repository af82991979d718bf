import { expect } from 'chai';
import { ManualClock } from '../../../src/clock.js';
import { createSimulator } from '../../../src/sandbox/simulator.js';

const at = Date.UTC(2026, 10, 1, 9, 0, 0);
const make = (seed: number) => createSimulator({ appSecret: 'seed-test-secret-0123456789', seed, clock: new ManualClock(at), control: false });

describe('the sandbox seed', () => {
  it('is deterministic: the same seed gives the same account, media, comments and history', () => {
    const a = make(7).state;
    const b = make(7).state;
    expect(a.primaryAccount()).to.deep.equal(b.primaryAccount());
    expect([...a.media.keys()]).to.deep.equal([...b.media.keys()]);
    expect([...a.comments.values()].map((c) => c.text)).to.deep.equal([...b.comments.values()].map((c) => c.text));
    expect(a.days.get(a.primaryAccount().igId)).to.deep.equal(b.days.get(b.primaryAccount().igId));
  });

  it('another seed gives another account', () => {
    expect(make(7).state.primaryAccount().igId).not.to.equal(make(8).state.primaryAccount().igId);
  });

  it('has 729 days of follower history ending today, and the profile agrees with its last day', () => {
    const s = make(42).state;
    const account = s.primaryAccount();
    const days = s.days.get(account.igId) ?? [];
    expect(days).to.have.length(729);
    expect(days.at(-1)?.day).to.equal('2026-11-01');
    expect(days.at(-1)?.followers).to.equal(account.followersCount);
    expect(account.followersCount).to.be.greaterThan(100);
  });

  it('has about 60 media of every type with insights, comments with replies, and conversations inside and outside the messaging window', () => {
    const s = make(42).state;
    const media = [...s.media.values()];
    expect(media.length).to.be.within(55, 65);
    const kinds = new Set(media.map((m) => `${m.mediaType}/${m.productType}`));
    expect([...kinds]).to.include.members(['IMAGE/FEED', 'VIDEO/REELS', 'CAROUSEL_ALBUM/FEED', 'IMAGE/STORY']);
    expect(media.every((m) => (m.insights['reach'] ?? 0) > 0)).to.equal(true);
    const comments = [...s.comments.values()];
    expect(comments.some((c) => c.parentId !== undefined)).to.equal(true);
    expect(comments.filter((c) => c.parentId === undefined && c.mediaId === s.mediaOf(s.primaryAccount().igId).find((m) => m.productType !== 'STORY')?.id).length).to.be.greaterThan(50);
    const ages = [...s.conversations.values()].map((c) => at - c.lastInboundAt);
    expect(ages.some((ms) => ms < 24 * 3_600_000)).to.equal(true);
    expect(ages.some((ms) => ms > 24 * 3_600_000 && ms < 7 * 24 * 3_600_000)).to.equal(true);
    expect(ages.some((ms) => ms > 7 * 24 * 3_600_000)).to.equal(true);
  });
});
