import { expect } from 'chai';
import { photo } from '../../support/content.js';
import { post, runEngine, schedulePost, simMediaWithCaption, stage, steps, type Stage } from '../../support/publishing.js';

describe('publishing engine (sandbox)', function () {
  this.timeout(120_000);
  let s: Stage;

  beforeEach(async () => {
    s = await stage();
  });
  afterEach(() => s.live.close());

  it('a scheduled photo post is not published before its minute, then is published once with its permalink and a status log', async () => {
    const id = await schedulePost(s, { caption: 'Morning light #almaty', inMinutes: 2 });
    const due = post(s, id).scheduledAt as number;
    s.t.clock.set(due - 1000);
    await s.t.services.engine.runDue();
    expect(post(s, id).state).to.equal('scheduled');
    s.t.clock.set(due);
    await s.t.services.engine.runDue();
    const done = post(s, id);
    expect(done.state).to.equal('published');
    expect(done.igMediaId).to.match(/^\d+$/);
    expect(done.permalink).to.match(/^https:\/\/www\.instagram\.com\/p\//);
    expect(simMediaWithCaption(s, 'Morning light #almaty')).to.equal(1);
    expect(steps(s, id)).to.deep.equal(['created', 'scheduled', 'claimed', 'container_created', 'ready', 'publishing', 'published']);
    const token = s.t.services.posts.repo.mediaOf(id)[0]?.publicToken;
    expect((await s.agent.get(`/m/${token}`)).status).to.equal(404);
  });

  it('the first comment is posted once, right after the post', async () => {
    const id = await schedulePost(s, { caption: 'With a comment', firstComment: '#coffee #steppe' });
    s.t.clock.set(post(s, id).scheduledAt as number);
    await runEngine(s);
    const done = post(s, id);
    expect(done.firstCommentState).to.equal('posted');
    const comments = [...(s.live.t.simulator?.state.comments.values() ?? [])].filter((c) => c.mediaId === done.igMediaId && c.text === '#coffee #steppe');
    expect(comments).to.have.length(1);
    expect(steps(s, id)).to.include('first_comment_posted');
  });

  it('a carousel publishes its children first, then the parent', async () => {
    const id = await schedulePost(s, {
      type: 'carousel',
      caption: 'Three cups',
      files: [
        { name: 'a.jpg', bytes: await photo(1080, 1080) },
        { name: 'b.jpg', bytes: await photo(1080, 1080) },
        { name: 'c.jpg', bytes: await photo(1080, 1350) },
      ],
    });
    s.t.clock.set(post(s, id).scheduledAt as number);
    await runEngine(s);
    expect(post(s, id).state).to.equal('published');
    expect(s.t.services.posts.repo.mediaOf(id).every((m) => m.childContainerId)).to.equal(true);
    const media = [...(s.live.t.simulator?.state.media.values() ?? [])].find((m) => m.caption === 'Three cups');
    expect(media?.mediaType).to.equal('CAROUSEL_ALBUM');
    expect(media?.children).to.have.length(3);
  });

  it('a post missed by more than the late limit (the appliance was down) is held for the owner, never published', async () => {
    const id = await schedulePost(s, { caption: 'Missed' });
    s.t.clock.set((post(s, id).scheduledAt as number) + 7 * 3_600_000);
    await s.t.services.engine.runDue();
    const held = post(s, id);
    expect(held.state).to.equal('held');
    expect(held.heldReason).to.equal('late');
    expect(simMediaWithCaption(s, 'Missed')).to.equal(0);
    expect(s.t.services.notifications.unreadCount()).to.equal(1);
  });

  it('a post missed by less than the late limit is published on recovery', async () => {
    const id = await schedulePost(s, { caption: 'A bit late' });
    s.t.clock.set((post(s, id).scheduledAt as number) + 2 * 3_600_000);
    await runEngine(s);
    expect(post(s, id).state).to.equal('published');
  });

  it('a paused account (needs reconnect) keeps its posts waiting; they go out once it works again', async () => {
    const id = await schedulePost(s, { caption: 'Paused' });
    s.t.services.accounts.markNeedsReconnect(s.accountId, 'test');
    s.t.clock.set(post(s, id).scheduledAt as number);
    await s.t.services.engine.runDue();
    expect(post(s, id).state).to.equal('scheduled');
    s.t.db.sqlite.prepare("UPDATE accounts SET status = 'ok'").run();
    await runEngine(s);
    expect(post(s, id).state).to.equal('published');
  });

  it('when the daily token refresh is refused (190), the account is marked "needs reconnect", its scheduled posts pause and every page says so', async () => {
    const id = await schedulePost(s, { caption: 'Waits for reconnect', inMinutes: 10 });
    for (const token of s.live.t.simulator?.state.tokens.values() ?? []) token.revokedSubcode = 460;
    // A token old enough to refresh and close to its expiry: the job's work list.
    s.t.db.sqlite.prepare('UPDATE accounts SET token_refreshed_at = ?, token_expires_at = ?').run(s.t.clock.now() - 30 * 86_400_000, s.t.clock.now() + 5 * 86_400_000);
    await s.t.services.tokenRefresh.refreshDue();
    expect(s.t.services.accounts.repo.findById(s.accountId)?.status).to.equal('needs_reconnect');
    s.t.clock.set(post(s, id).scheduledAt as number);
    await runEngine(s, 60_000);
    expect(post(s, id).state).to.equal('scheduled');
    const page = await s.agent.get(`/posts/${id}`);
    expect(page.text).to.contain('Paused: this account needs reconnecting.');
    expect(page.text).to.contain('role="alert"');
  });
});

