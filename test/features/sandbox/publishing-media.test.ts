import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import sharp from 'sharp';
import type { Media } from '../../../src/instagram/types.js';
import { longLivedToken } from '../../support/simulator.js';
import { failure, graphCall, graphErrorOf } from '../../support/media-fixtures.js';
import { useSimulator } from '../../support/sim-harness.js';

const DAY = 24 * 3_600_000;

async function jpegAt(url: string): Promise<{ width?: number; height?: number; format?: string }> {
  const response = await fetch(url);
  expect(response.status, url).to.equal(200);
  expect(response.headers.get('content-type')).to.equal('image/jpeg');
  return sharp(Buffer.from(await response.arrayBuffer())).metadata();
}

describe('the simulator lists and serves media as Instagram does (contract §3.1, §3.4)', () => {
  const ctx = useSimulator({ media: true });

  const api = () => ctx.h.client.publishing;

  it('lists 25 by default, newest first, without stories, and cursor paging reaches every post once', async () => {
    const first = await api().listMedia(ctx.token, ctx.igId, {});
    expect(first.data).to.have.length(25);
    const seen: Media[] = [...first.data];
    let page = first;
    for (let next = api().nextPage(ctx.token, page); next; next = api().nextPage(ctx.token, page)) {
      page = await next;
      seen.push(...page.data);
    }
    const expected = ctx.h.sim.state.mediaOf(ctx.igId).filter((m) => m.productType !== 'STORY');
    expect(seen.map((m) => m.id)).to.deep.equal(expected.map((m) => m.id));
    const times = seen.map((m) => Date.parse(m.timestamp.replace('+0000', 'Z')));
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));
    expect(seen.every((m) => m.media_product_type !== 'STORY')).to.equal(true);
  });

  it('caps limit at 100 and filters by since/until', async () => {
    const template = ctx.h.sim.state.mediaOf(ctx.igId).find((m) => m.productType === 'FEED');
    for (let i = 0; i < 60 && template; i += 1) {
      const id = ctx.h.sim.state.newId('179');
      ctx.h.sim.state.media.set(id, { ...template, id, timestamp: template.timestamp - (i + 1) * 60_000 });
    }
    const all = await graphCall(ctx.h, ctx.token, 'GET', `${ctx.igId}/media?limit=500`);
    expect((all.body['data'] as unknown[]).length).to.equal(100);
    const next = new URL(String((all.body['paging'] as { next: string }).next));
    expect(next.searchParams.get('limit')).to.equal('100');
    const monthAgo = Math.floor((ctx.h.clock.now() - 30 * DAY) / 1000);
    const recent = await graphCall(ctx.h, ctx.token, 'GET', `${ctx.igId}/media?fields=id,timestamp&since=${monthAgo}&limit=100`);
    const stamps = (recent.body['data'] as Array<{ timestamp: string }>).map((m) => Date.parse(m.timestamp.replace('+0000', 'Z')));
    const expected = ctx.h.sim.state.mediaOf(ctx.igId).filter((m) => m.productType !== 'STORY' && m.timestamp >= monthAgo * 1000);
    expect(stamps.length).to.equal(expected.length).and.to.be.greaterThan(0);
    expect(stamps.every((t) => t >= monthAgo * 1000)).to.equal(true);
  });

  it('answers only the fields asked for, ids by default, and refuses a field media do not have', async () => {
    const bare = await graphCall(ctx.h, ctx.token, 'GET', `${ctx.igId}/media?limit=2`);
    expect((bare.body['data'] as Array<Record<string, unknown>>).map((m) => Object.keys(m))).to.deep.equal([['id'], ['id']]);
    const typo = await graphCall(ctx.h, ctx.token, 'GET', `${ctx.igId}/media?fields=id,captoin`);
    expect(graphErrorOf(typo)).to.include({ code: 100 });
    expect(graphErrorOf(typo).message).to.contain('nonexisting field (captoin)');
    // Facebook-Login-only counts are not there with Instagram Login (§3.1).
    expect(graphErrorOf(await graphCall(ctx.h, ctx.token, 'GET', `${ctx.igId}/media?fields=id,saved_count`)).code).to.equal(100);
  });

  it('returns carousel children with the sub-fields asked for, and a child by its own id without a permalink', async () => {
    const album = ctx.h.sim.state.mediaOf(ctx.igId).find((m) => m.mediaType === 'CAROUSEL_ALBUM');
    const withChildren = await api().mediaById(ctx.token, album?.id ?? '');
    const children = withChildren.children?.data ?? [];
    expect(children.length).to.be.within(2, 5);
    expect(Object.keys(children[0] ?? {}).sort()).to.deep.equal(['id', 'media_type', 'media_url']);
    const idsOnly = await graphCall(ctx.h, ctx.token, 'GET', `${album?.id}?fields=children`);
    expect((idsOnly.body['children'] as { data: unknown[] }).data[0]).to.have.keys(['id']);
    const child = await graphCall(ctx.h, ctx.token, 'GET', `${children[0]?.id}?fields=id,media_type,media_url,permalink`);
    expect(child.body).to.have.keys(['id', 'media_type', 'media_url']);
  });

  it('gives absolute media_url and thumbnail_url on the caller’s host that answer real JPEGs', async () => {
    const reel = (await api().listMedia(ctx.token, ctx.igId, { limit: 10 })).data.find((m) => m.media_type === 'VIDEO');
    expect(reel?.media_url).to.match(new RegExp(`^${ctx.h.base}/cdn/\\d{17}\\.jpg$`));
    expect(reel?.thumbnail_url).to.match(new RegExp(`^${ctx.h.base}/cdn/\\d{17}-thumb\\.jpg$`));
    expect(await jpegAt(reel?.media_url ?? '')).to.include({ format: 'jpeg', width: 1080, height: 1080 });
    expect(await jpegAt(reel?.thumbnail_url ?? '')).to.include({ format: 'jpeg' });
    const image = (await api().listMedia(ctx.token, ctx.igId, { limit: 10 })).data.find((m) => m.media_type === 'IMAGE');
    expect(image?.thumbnail_url).to.equal(undefined);
  });

  it('serves a published image from a copy of the upload, keeping its 4:5 shape', async () => {
    const id = await api().publish(ctx.token, ctx.igId, await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') }));
    const post = await api().mediaById(ctx.token, id);
    expect(await jpegAt(post.media_url ?? '')).to.include({ width: 1080, height: 1350 });
  });

  it('draws any other CDN name deterministically, a 320 px profile picture, and 404s for names that are not pictures', async () => {
    const once = await (await fetch(`${ctx.h.base}/cdn/12345.jpg`)).arrayBuffer();
    const twice = await (await fetch(`${ctx.h.base}/cdn/12345.jpg`)).arrayBuffer();
    expect(Buffer.from(once).equals(Buffer.from(twice))).to.equal(true);
    expect(await jpegAt(`${ctx.h.base}/cdn/profile.jpg`)).to.include({ width: 320, height: 320 });
    expect((await fetch(`${ctx.h.base}/cdn/notes.txt`)).status).to.equal(404);
  });

  it('keeps the mount prefix in media URLs when the simulator runs inside another app', async () => {
    const host = express();
    host.use('/sandbox', ctx.h.sim.router);
    const server = http.createServer(host);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox`;
      const response = await fetch(`${base}/graph/v25.0/${ctx.igId}/media?fields=media_url&limit=1`, { headers: { authorization: `Bearer ${ctx.token}` } });
      const body = (await response.json()) as { data: Array<{ media_url: string }> };
      expect(body.data[0]?.media_url).to.match(new RegExp(`^${base}/cdn/\\d{17}\\.jpg$`));
      expect(await jpegAt(body.data[0]?.media_url ?? '')).to.include({ format: 'jpeg' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('turns comments off and on with POST /<media-id>?comment_enabled, read back as is_comment_enabled', async () => {
    const id = ctx.h.sim.state.mediaOf(ctx.igId)[0]?.id ?? '';
    expect(await ctx.h.client.engagement.setCommentsEnabled(ctx.token, id, false)).to.equal(true);
    expect((await api().mediaById(ctx.token, id)).is_comment_enabled).to.equal(false);
    await ctx.h.client.engagement.setCommentsEnabled(ctx.token, id, true);
    expect((await api().mediaById(ctx.token, id)).is_comment_enabled).to.equal(true);
    const missing = await graphCall(ctx.h, ctx.token, 'POST', id, new URLSearchParams());
    expect(graphErrorOf(missing).code).to.equal(100);
    const basicOnly = await longLivedToken(ctx.h, ['instagram_business_basic']);
    expect((await failure(ctx.h.client.engagement.setCommentsEnabled(basicOnly, id, false))).code).to.equal(200);
  });

  it('needs instagram_business_basic to list media, and hides other accounts’ media', async () => {
    const publishOnly = await longLivedToken(ctx.h, ['instagram_business_content_publish']);
    expect((await failure(api().listMedia(publishOnly, ctx.igId))).errorClass).to.equal('permission');
    expect((await failure(api().listMedia(ctx.token, '17841400000000001'))).code).to.equal(100);
  });
});
