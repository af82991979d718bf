// The benchmark's data set, seeded and reproducible, written through the app's own repositories
// into a fresh SQLite file with the real migrations: 3 accounts × 729 days of follower history and
// daily insights, 2,000 published posts with insights, 50,000 comments, 20,000 messages and 500
// scheduled posts (a tenth of each with --quick).
import path from 'node:path';
import { systemClock } from '../src/clock.js';
import type { Config } from '../src/config.js';
import { openDatabase, runMigrations, type DbHandle } from '../src/db/client.js';
import type { Cipher } from '../src/db/crypto.js';
import { AccountsRepo } from '../src/features/accounts/accounts.repo.js';
import { AnalyticsRepo } from '../src/features/analytics/analytics.repo.js';
import { ACCOUNT_DAY_METRICS } from '../src/features/analytics/metrics.js';
import { PostsRepo } from '../src/features/content/posts.repo.js';
import { CommentsRepo } from '../src/features/engagement/comments.repo.js';
import { ConversationsRepo } from '../src/features/engagement/conversations.repo.js';
import { createLogger } from '../src/log.js';
import { loadCipher } from '../src/secrets.js';
import { createServices } from '../src/services.js';
import { DATABASE_FILE } from '../src/boot.js';
import { random } from './random.js';

const DAY = 86_400_000;

export interface DatasetSize {
  accounts: number;
  days: number;
  publishedPosts: number;
  comments: number;
  messages: number;
  scheduledPosts: number;
}

export const FULL: DatasetSize = { accounts: 3, days: 729, publishedPosts: 2000, comments: 50_000, messages: 20_000, scheduledPosts: 500 };
export const QUICK: DatasetSize = { accounts: 3, days: 729, publishedPosts: 200, comments: 5000, messages: 2000, scheduledPosts: 50 };

export interface Dataset {
  size: DatasetSize;
  owner: { username: string; password: string };
  accountIds: number[];
  /** A conversation of the first account with its messages (the DM thread page). */
  conversationId: number;
  rows: Record<string, number>;
  ms: number;
}

const WORDS = ['coffee', 'steppe', 'morning', 'latte', 'almaty', 'beans', 'roast', 'cup', 'sunrise', 'friends', 'new', 'menu', 'autumn', 'cake', 'delivery', 'open', 'today', 'spicy', 'cold', 'brew'];

function sentence(rnd: () => number, words: number): string {
  return Array.from({ length: words }, () => WORDS[Math.floor(rnd() * WORDS.length)] ?? 'coffee').join(' ');
}

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export async function generateDataset(config: Config, size: DatasetSize, seed = 42): Promise<Dataset> {
  const started = Date.now();
  const rnd = random(seed);
  const log = createLogger({ level: 'warn' });
  const db: DbHandle = openDatabase(path.join(config.dataDir, DATABASE_FILE));
  runMigrations(db);
  const clock = systemClock;
  const cipher: Cipher = loadCipher(config, db, log, clock.now());
  const services = createServices({ config, db, cipher, clock, log });
  const now = clock.now();
  const owner = { username: 'bench_owner', password: 'bench password that is long enough' };
  const user = await services.users.createUnchecked({ username: owner.username, password: owner.password, role: 'owner' }, { ip: null }, 'bench');

  const accountsRepo = new AccountsRepo(db.orm);
  const analytics = new AnalyticsRepo(db.orm);
  const posts = new PostsRepo(db.orm);
  const comments = new CommentsRepo(db.orm, cipher);
  const conversations = new ConversationsRepo(db.orm, cipher);
  const accountIds: number[] = [];
  let conversationId = 0;

  const inTransaction = <T>(work: () => T): T => db.sqlite.transaction(work)();

  for (let a = 0; a < size.accounts; a += 1) {
    const igUserId = `178414000000000${a + 1}`;
    const account = accountsRepo.insert({
      igUserId,
      appScopedId: `90000000000000${a + 1}`,
      username: `bench_shop_${a + 1}`,
      name: `Bench Shop ${a + 1}`,
      accountType: 'BUSINESS',
      followersCount: 12_000 + a * 5000,
      followsCount: 300,
      mediaCount: size.publishedPosts / size.accounts,
      token: cipher.seal(`IGAAbench${a}${'x'.repeat(40)}`, { table: 'accounts', column: 'token', row: igUserId }),
      tokenExpiresAt: now + 50 * DAY,
      tokenRefreshedAt: now,
      scopes: ['instagram_business_basic', 'instagram_business_content_publish', 'instagram_business_manage_comments', 'instagram_business_manage_messages', 'instagram_business_manage_insights'],
      status: 'ok',
      sandbox: false,
      connectedAt: now - 800 * DAY,
      createdAt: now - 800 * DAY,
    });
    accountIds.push(account.id);

    // 729 days of followers and daily account insights.
    inTransaction(() => {
      let followers = 8000 + a * 4000;
      for (let d = size.days; d >= 1; d -= 1) {
        const day = dayOf(now - d * DAY);
        const follows = Math.floor(rnd() * 40);
        const unfollows = Math.floor(rnd() * 15);
        followers += follows - unfollows;
        accountsRepo.upsertFollowerDay(account.id, day, followers);
        const values: Record<string, number> = { follows, unfollows };
        for (const metric of ACCOUNT_DAY_METRICS) values[metric] = Math.floor(rnd() * (metric === 'views' ? 20_000 : 2000));
        analytics.saveDay(account.id, day, values, now);
      }
    });

    // Published posts: the post row, Instagram's media (the inbox's posts) and its insights.
    const perAccount = Math.floor(size.publishedPosts / size.accounts);
    const mediaIds: string[] = [];
    inTransaction(() => {
      for (let p = 0; p < perAccount; p += 1) {
        const postedAt = now - Math.floor((p / perAccount) * size.days * DAY) - Math.floor(rnd() * DAY);
        const igMediaId = `18${String(a)}${String(p).padStart(12, '0')}`;
        const reel = rnd() < 0.3;
        const caption = sentence(rnd, 12);
        posts.insertPost({ accountId: account.id, type: reel ? 'reel' : 'feed', state: 'published', caption, scheduledAt: postedAt, timeZone: 'Asia/Almaty', createdBy: user.id, createdAt: postedAt - DAY, updatedAt: postedAt, igMediaId, publishedAt: postedAt, permalink: `https://www.instagram.com/p/${igMediaId}/` });
        // The inbox caches Instagram's 50 newest media (sync-inbox), not two years of them.
        if (p < 50) comments.upsertMedia(account.id, { igMediaId, mediaType: reel ? 'VIDEO' : 'IMAGE', productType: reel ? 'REELS' : 'FEED', caption, permalink: `https://www.instagram.com/p/${igMediaId}/`, postedAt, commentsCount: 0, commentsEnabled: true }, now);
        const reach = Math.floor(rnd() * 5000);
        analytics.saveMedia(account.id, { igMediaId, mediaType: reel ? 'VIDEO' : 'IMAGE', productType: reel ? 'REELS' : 'FEED', caption: caption.slice(0, 120), permalink: null, thumbnailUrl: null, postedAt, views: reach * 2, reach, likes: Math.floor(reach / 10), comments: Math.floor(reach / 100), saved: Math.floor(reach / 50), shares: Math.floor(reach / 80), totalInteractions: Math.floor(reach / 8), avgWatchMs: reel ? 6000 : null, skipRate: reel ? 30 : null }, now);
        mediaIds.push(igMediaId);
      }
    });

    // Comments, spread over the newest posts (a third are replies).
    const perAccountComments = Math.floor(size.comments / size.accounts);
    inTransaction(() => {
      for (let c = 0; c < perAccountComments; c += 1) {
        const igMediaId = mediaIds[Math.floor(rnd() * Math.min(mediaIds.length, 50))] ?? mediaIds[0] ?? 'none';
        const id = `17${String(a)}${String(c).padStart(13, '0')}`;
        const reply = c > 10 && rnd() < 0.33;
        comments.upsert(account.id, { igCommentId: id, igMediaId, parentId: reply ? `17${String(a)}${String(c - 1 - Math.floor(rnd() * 10)).padStart(13, '0')}` : null, fromId: `5${Math.floor(rnd() * 1e9)}`, own: reply && rnd() < 0.5, username: `fan_${Math.floor(rnd() * 5000)}`, text: sentence(rnd, 8), writtenAt: now - Math.floor(rnd() * 20 * DAY) }, now);
      }
    });

    // Conversations of 10 messages each.
    const perAccountMessages = Math.floor(size.messages / size.accounts);
    inTransaction(() => {
      for (let m = 0; m < perAccountMessages; m += 10) {
        const at = now - Math.floor(rnd() * 6 * DAY);
        const conversation = conversations.ensure(account.id, `6${String(a)}${String(m).padStart(10, '0')}`, at, now);
        conversations.describe(conversation.id, { igConversationId: `aWdfZ${a}${m}`, username: `client_${a}_${m}` });
        if (conversationId === 0) conversationId = conversation.id;
        for (let k = 0; k < 10 && m + k < perAccountMessages; k += 1) {
          conversations.upsertMessage(conversation.id, { igMessageId: `m_${a}_${m + k}`, direction: k % 3 === 2 ? 'out' : 'in', text: sentence(rnd, 10), sentAt: at + k * 60_000 }, now);
        }
      }
    });

    // Scheduled posts over the coming 60 days.
    const perAccountScheduled = Math.floor(size.scheduledPosts / size.accounts);
    inTransaction(() => {
      for (let s = 0; s < perAccountScheduled; s += 1) {
        const at = now + DAY + Math.floor(rnd() * 60 * DAY);
        posts.insertPost({ accountId: account.id, type: 'feed', state: 'scheduled', caption: sentence(rnd, 15), scheduledAt: at - (at % 60_000), timeZone: 'Asia/Almaty', createdBy: user.id, createdAt: now, updatedAt: now });
      }
    });
  }

  const rows: Record<string, number> = {};
  for (const table of ['follower_days', 'insight_days', 'posts', 'media_insights', 'ig_media', 'comments', 'conversations', 'messages']) {
    rows[table] = (db.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  }
  db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { size, owner, accountIds, conversationId, rows, ms: Date.now() - started };
}
