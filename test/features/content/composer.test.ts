import fs from 'node:fs';
import { expect } from 'chai';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../../support/app.js';
import { mediaFiles, photo, postIdFrom, studio, submit, type Studio } from '../../support/content.js';
import { $ } from '../../support/http.js';

describe('composer', function () {
  this.timeout(30_000);
  let t: TestApp;
  let s: Studio;

  beforeEach(async () => {
    t = createTestApp();
    s = await studio(t);
  });
  afterEach(() => t.close());

  const mediaOf = (postId: number) => t.services.posts.repo.mediaOf(postId);
  const postOf = (postId: number) => t.services.posts.get(postId);

  it('GET /compose shows the form with the CSRF token as its first field, the account and the four post types', async () => {
    const res = await s.agent.get('/compose');
    expect(res.status).to.equal(200);
    const page = $(res.text);
    const form = page('form[data-composer]');
    expect(form.attr('enctype')).to.equal('multipart/form-data');
    expect(form.find('input, select, textarea').first().attr('name')).to.equal('_csrf');
    expect(page('input[name="type"]').map((_, el) => page(el).val()).get()).to.deep.equal(['feed', 'carousel', 'reel', 'story']);
    expect(page('#compose-account option').length).to.equal(1);
  });

  it('uploading an off-ratio photo saves a draft whose prepared JPEG is inside 4:5–1.91:1, and offers crop or pad', async () => {
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Panorama', action: 'refresh' }, files: [{ name: 'wide.jpg', bytes: await photo(3000, 1000) }] });
    expect(res.status).to.equal(303);
    const id = postIdFrom(res.headers['location']);
    expect(postOf(id).state).to.equal('draft');
    const [item] = mediaOf(id);
    expect(item?.status).to.equal('ready');
    const output = t.services.media.fileOf(item as NonNullable<typeof item>, item?.outputFile as string);
    const meta = await sharp(output).metadata();
    expect(meta.format).to.equal('jpeg');
    expect((meta.width as number) / (meta.height as number)).to.be.within(0.8, 1.911);
    const page = $((await s.agent.get(`/posts/${id}`)).text);
    expect(page(`input[name="fit_${item?.id}"]`).map((_, el) => page(el).val()).get()).to.deep.equal(['crop', 'pad']);
    expect(page('.preview__image').attr('src')).to.match(new RegExp(`^/posts/${id}/media/${item?.id}/output`));
  });

  it('choosing pad re-prepares the photo at 1.91:1 with the whole picture inside', async () => {
    const first = await submit(s, '/compose', { fields: { type: 'feed', action: 'refresh' }, files: [{ name: 'wide.jpg', bytes: await photo(3000, 1000) }] });
    const id = postIdFrom(first.headers['location']);
    const itemId = mediaOf(id)[0]?.id as number;
    const res = await submit(s, `/posts/${id}`, { fields: { type: 'feed', action: 'refresh', [`pos_${itemId}`]: '1', [`fit_${itemId}`]: 'pad', [`bg_${itemId}`]: 'colour', [`bgc_${itemId}`]: '#00ff00' } });
    expect(res.status).to.equal(303);
    const item = mediaOf(id)[0];
    expect(item?.fitMode).to.equal('pad');
    expect(item?.background).to.equal('#00ff00');
    expect((item?.outputWidth as number) / (item?.outputHeight as number)).to.be.closeTo(1.91, 0.01);
  });

  it('POST /compose re-renders the form with the typed caption and a localized error when the caption has 31 hashtags', async () => {
    const caption = Array.from({ length: 31 }, (_, i) => `#tag${i}`).join(' ');
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption, action: 'draft' } });
    expect(res.status).to.equal(422);
    const page = $(res.text);
    expect(page('#compose-caption').text()).to.equal(caption);
    expect(page('#problems').text()).to.contain('The caption has 31 hashtags; Instagram allows 30.');
    expect(t.db.sqlite.prepare('SELECT count(*) AS n FROM posts').get()).to.deep.equal({ n: 0 });
  });

  it('caption limits are checked by the server in the person\'s language: 2,201 characters and 21 mentions', async () => {
    await s.agent.post('/language').type('form').send({ _csrf: s.csrf, language: 'ru', returnTo: '/' });
    const long = await submit(s, '/compose', { fields: { type: 'feed', caption: 'я'.repeat(2201), action: 'draft' } });
    expect(long.status).to.equal(422);
    expect($(long.text)('#problems').text()).to.contain('В подписи 2201 символов; Instagram допускает 2200.');
    const mentions = Array.from({ length: 21 }, (_, i) => `@user${i}`).join(' ');
    const many = await submit(s, '/compose', { fields: { type: 'feed', caption: mentions, action: 'draft' } });
    expect($(many.text)('#problems').text()).to.contain('21 @упоминаний');
    // Exactly at the limits is fine: 2,200 characters (code points, so emoji count once).
    const ok = await submit(s, '/compose', { fields: { type: 'feed', caption: '😀'.repeat(2200), action: 'draft' } });
    expect(ok.status).to.equal(303);
  });

  it('scheduling needs the post to be complete: a photo post without a photo stays a draft and says why', async () => {
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Soon', date: '2026-02-01', time: '10:00', timeZone: 'Asia/Almaty', action: 'schedule' } });
    expect(res.status).to.equal(422);
    expect($(res.text)('#problems').text()).to.contain('A photo post needs exactly one photo (it has 0).');
  });

  it('schedules a photo post at the wall-clock time in its zone and stores UTC plus the zone', async () => {
    const res = await submit(s, '/compose', {
      fields: { type: 'feed', caption: 'Coffee time', date: '2026-02-01', time: '10:00', timeZone: 'Asia/Almaty', action: 'schedule' },
      files: [{ name: 'square.jpg', bytes: await photo(1080, 1080) }],
    });
    expect(res.status).to.equal(303);
    const post = postOf(postIdFrom(res.headers['location']));
    expect(post.state).to.equal('scheduled');
    expect(post.timeZone).to.equal('Asia/Almaty');
    expect(new Date(post.scheduledAt as number).toISOString()).to.equal('2026-02-01T05:00:00.000Z');
    const log = t.services.posts.repo.eventsOf(post.id).map((e) => e.step);
    expect(log).to.deep.equal(['created', 'scheduled']);
  });

  it('a time in the past is refused with a message, and the post stays a draft', async () => {
    const res = await submit(s, '/compose', { fields: { type: 'feed', date: '2026-01-01', time: '10:00', timeZone: 'UTC', action: 'schedule' }, files: [{ name: 'a.jpg', bytes: await photo(1080, 1080) }] });
    expect(res.status).to.equal(422);
    expect($(res.text)('#problems').text()).to.contain('That time has already passed.');
    const post = t.services.posts.repo.list({})[0];
    expect(post?.state).to.equal('draft');
  });

  it('a viewer can read the queue but cannot open the composer or post to it', async () => {
    const viewer = await studio(t, 'viewer');
    expect((await viewer.agent.get('/queue')).status).to.equal(200);
    expect((await viewer.agent.get('/compose')).status).to.equal(403);
    const res = await submit(viewer, '/compose', { fields: { type: 'feed', caption: 'x', action: 'draft' }, files: [{ name: 'a.jpg', bytes: await photo(500, 500) }] });
    expect(res.status).to.equal(403);
    expect(mediaFiles(t)).to.deep.equal([]);
  });

  it('extra fields such as state=published or ig_media_id are ignored', async () => {
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'x', action: 'draft', state: 'published', ig_media_id: '123', __proto__: 'x' } });
    expect(res.status).to.equal(303);
    expect(postOf(postIdFrom(res.headers['location'])).state).to.equal('draft');
  });

  it('duplicating a post makes an undated draft with its own copies of the files', async () => {
    const res = await submit(s, '/compose', { fields: { type: 'feed', date: '2026-02-01', time: '10:00', timeZone: 'UTC', action: 'schedule' }, files: [{ name: 'a.jpg', bytes: await photo(1080, 1350) }] });
    const id = postIdFrom(res.headers['location']);
    const copy = await s.agent.post(`/posts/${id}/duplicate`).type('form').send({ _csrf: s.csrf });
    expect(copy.status).to.equal(303);
    const copyId = postIdFrom(copy.headers['location']);
    expect(postOf(copyId)).to.include({ state: 'draft', scheduledAt: null });
    const [a, b] = [mediaOf(id)[0], mediaOf(copyId)[0]];
    expect(b?.outputFile).to.be.a('string').and.not.equal(a?.outputFile);
    expect(b?.publicToken).to.not.equal(a?.publicToken);
    expect(fs.existsSync(t.services.media.fileOf(b as NonNullable<typeof b>, b?.outputFile as string))).to.equal(true);
  });

  it('a carousel follows its first item\'s ratio: a 1:1 first photo makes a 4:5 second photo square too', async () => {
    const res = await submit(s, '/compose', {
      fields: { type: 'carousel', action: 'refresh' },
      files: [
        { name: 'one.jpg', bytes: await photo(1200, 1200) },
        { name: 'two.jpg', bytes: await photo(1080, 1350) },
      ],
    });
    const id = postIdFrom(res.headers['location']);
    const [first, second] = mediaOf(id);
    expect(first?.outputWidth).to.equal(first?.outputHeight);
    expect((second?.outputWidth as number) / (second?.outputHeight as number)).to.be.closeTo(1, 0.01);
  });
});
