// A believable business account, generated deterministically from a seed: profile, 729 days of
// follower history, ~60 media of every type with insights, comments with replies, conversations.
import { DAY, HOUR } from './clock.js';
import { Random } from './random.js';
import type { SimAccount, SimComment, SimDay, SimMedia, SimState } from './state.js';

const HISTORY_DAYS = 729;
const MEDIA_COUNT = 60;

const CAPTIONS = [
  'New single-origin from Ethiopia is in ☕ Bright, floral, a little jasmine. #specialtycoffee #almaty',
  'Saturday cupping at 11:00 — come taste five new lots with us. Free entry, bring a friend!',
  'Behind the scenes: roasting day 🔥 #roastery #coffeeroasting',
  'Жаңа кофе келді! Келіп дәмін татып көріңіздер ☕',
  'Осенний раф с облепихой уже в меню 🍂',
  'Our baristas placed 2nd at the national championship. So proud of the team! 🏆',
  'Pour-over 101: 15 g coffee, 250 g water at 94 °C, 3 minutes. Swipe for the steps ➡️',
  'Weekend hours: 9:00–22:00. See you at Abay 52!',
  'Latte art Friday 🎨 Tag us in your cup photos @steppe_coffee',
  'Fresh croissants every morning from our friends at @nan_bakery 🥐',
];
const STORY_CAPTIONS = ['', 'Today only: 2 for 1 on filter coffee', 'Poll: oat or almond?'];
const COMMENTERS = ['aigerim.k', 'dauren_88', 'marat.photo', 'zhanna_cafe_lover', 'alina.almaty', 'timur_runs', 'saule.art', 'olga_v', 'nurlan.dev', 'asel_travel'];
const COMMENT_TEXTS = [
  'Looks amazing! 😍',
  'What time do you open on Sunday?',
  'Керемет! 👏',
  'Очень вкусно, спасибо!',
  'Is this available for delivery?',
  'Best coffee in town ☕',
  'Сколько стоит?',
  'Can I book a table for 6?',
  'Қай жерде орналасқансыздар?',
  'Love the new menu!',
];
const REPLIES = ['Thank you! 🙏', 'We open at 9:00 on Sundays.', 'Рахмет! ❤️', 'Yes, via Glovo and Wolt!', 'Спасибо, ждём вас!'];
const DM_OPENERS = [
  'Hi! Do you sell beans by the kilo?',
  'Здравствуйте, можно заказать торт на день рождения?',
  'Сәлеметсіз бе! Жеткізу бар ма?',
  'Hello, are you hiring baristas?',
  'Is the cupping on Saturday free?',
];

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function seedAccount(state: SimState, r: Random, username = 'steppe_coffee', name = 'Steppe Coffee Roasters'): SimAccount {
  // App-scoped ids exceed 2^53 on purpose: clients must keep them as strings.
  const account: SimAccount = {
    igId: '17841' + String(r.int(100000000, 999999999)) + String(r.int(100, 999)),
    appScopedId: '9' + String(r.int(1000000, 9999999)) + String(r.int(100000000, 999999999)),
    username,
    name,
    accountType: 'BUSINESS',
    profilePictureUrl: 'cdn/profile.jpg',
    followersCount: 0,
    followsCount: r.int(150, 400),
    biography: 'Specialty coffee roastery in Almaty ☕ Roasting since 2019. Abay 52 · 9:00–22:00',
    website: 'https://steppe-coffee.example',
    subscribedFields: [],
  };
  state.accounts.set(account.igId, account);
  return account;
}

function seedDays(state: SimState, r: Random, account: SimAccount, now: number): void {
  const days: SimDay[] = [];
  let followers = r.int(1800, 2600);
  for (let i = HISTORY_DAYS - 1; i >= 0; i -= 1) {
    const t = now - i * DAY;
    const weekend = [0, 6].includes(new Date(t).getUTCDay());
    const follows = Math.max(0, Math.round(r.int(4, 18) * (weekend ? 1.4 : 1)));
    const unfollows = r.int(1, 9);
    followers += follows - unfollows;
    const reach = Math.round(followers * (0.18 + r.next() * 0.25));
    const likes = Math.round(reach * (0.04 + r.next() * 0.05));
    const comments = Math.round(likes * 0.08);
    days.push({
      day: day(t),
      followers,
      follows,
      unfollows,
      reach,
      views: Math.round(reach * (1.6 + r.next())),
      accountsEngaged: Math.round(reach * 0.09),
      totalInteractions: likes + comments,
      likes,
      comments,
      saves: Math.round(likes * 0.12),
      shares: Math.round(likes * 0.07),
      replies: r.int(0, 6),
      profileLinksTaps: r.int(2, 30),
    });
  }
  account.followersCount = followers;
  state.days.set(account.igId, days);
  state.demographics.set(account.igId, {
    age: { '13-17': 2, '18-24': 24, '25-34': 41, '35-44': 19, '45-54': 9, '55-64': 4, '65+': 1 },
    gender: { F: 58, M: 39, U: 3 },
    country: { KZ: 81, RU: 7, UZ: 4, KG: 3, TR: 2, US: 1, DE: 2 },
    city: { 'Almaty, Almaty': 64, 'Astana, Astana': 11, 'Shymkent, South Kazakhstan': 5, 'Karaganda, Karaganda': 3, 'Moscow, Moscow': 4, 'Tashkent, Tashkent': 3 },
  });
}

function mediaKind(i: number): Pick<SimMedia, 'mediaType' | 'productType'> {
  const k = i % 6;
  if (k === 1 || k === 4) return { mediaType: 'VIDEO', productType: 'REELS' };
  if (k === 2) return { mediaType: 'CAROUSEL_ALBUM', productType: 'FEED' };
  if (k === 5 && i < 6) return { mediaType: 'IMAGE', productType: 'STORY' };
  return { mediaType: 'IMAGE', productType: 'FEED' };
}

function seedMedia(state: SimState, r: Random, account: SimAccount, now: number): void {
  for (let i = 0; i < MEDIA_COUNT; i += 1) {
    const kind = mediaKind(i);
    const id = state.newId('179');
    const timestamp = kind.productType === 'STORY' ? now - r.int(1, 20) * HOUR : now - (i * 6 + r.int(0, 4)) * DAY - r.int(1, 12) * HOUR;
    const reach = r.int(300, 4000) * (kind.productType === 'REELS' ? 3 : 1);
    const likes = Math.round(reach * (0.03 + r.next() * 0.08));
    const media: SimMedia = {
      id,
      igId: account.igId,
      ...kind,
      caption: kind.productType === 'STORY' ? r.pick(STORY_CAPTIONS) : r.pick(CAPTIONS),
      mediaUrl: `cdn/${id}.jpg`,
      ...(kind.mediaType === 'VIDEO' ? { thumbnailUrl: `cdn/${id}-thumb.jpg` } : {}),
      permalink: `https://www.instagram.com/${kind.productType === 'REELS' ? 'reel' : 'p'}/${r.token(11)}/`,
      shortcode: r.token(11),
      timestamp,
      likeCount: likes,
      commentsCount: 0,
      commentEnabled: true,
      insights: {
        reach,
        views: Math.round(reach * (1.3 + r.next())),
        likes,
        comments: 0,
        saved: Math.round(likes * 0.1),
        shares: Math.round(likes * 0.06),
        total_interactions: 0,
        ...(kind.productType === 'REELS' ? { ig_reels_avg_watch_time: r.int(3000, 14000), ig_reels_video_view_total_time: reach * r.int(4000, 9000) } : {}),
      },
    };
    if (kind.mediaType === 'CAROUSEL_ALBUM') {
      media.children = Array.from({ length: r.int(2, 5) }, () => {
        const childId = state.newId('179');
        return { id: childId, mediaType: 'IMAGE' as const, mediaUrl: `cdn/${childId}.jpg` };
      });
    }
    state.media.set(id, media);
    if (kind.productType !== 'STORY') seedComments(state, r, account, media, now);
    media.insights['comments'] = media.commentsCount;
    media.insights['total_interactions'] = likes + media.commentsCount + (media.insights['saved'] ?? 0) + (media.insights['shares'] ?? 0);
  }
}

function seedComments(state: SimState, r: Random, account: SimAccount, media: SimMedia, now: number): void {
  // Recent posts get the most comments; the newest has over 50 so paging shows.
  const count = media.timestamp > now - 7 * DAY ? 55 : r.int(0, 8);
  for (let j = 0; j < count; j += 1) {
    const username = r.pick(COMMENTERS);
    const comment: SimComment = {
      id: state.newId('178'),
      mediaId: media.id,
      text: r.pick(COMMENT_TEXTS),
      timestamp: Math.min(now - 60_000, media.timestamp + r.int(5, 60 * 48) * 60_000),
      fromId: '6' + String(r.int(1000000, 9999999)) + String(r.int(1000000, 9999999)),
      username,
      likeCount: r.int(0, 12),
      hidden: false,
    };
    state.comments.set(comment.id, comment);
    media.commentsCount += 1;
    if (r.chance(0.3)) {
      const reply: SimComment = {
        id: state.newId('178'),
        mediaId: media.id,
        parentId: comment.id,
        text: r.pick(REPLIES),
        timestamp: comment.timestamp + r.int(10, 600) * 60_000,
        fromId: account.igId,
        username: account.username,
        likeCount: r.int(0, 3),
        hidden: false,
      };
      state.comments.set(reply.id, reply);
    }
  }
}

function seedConversations(state: SimState, r: Random, account: SimAccount, now: number): void {
  DM_OPENERS.forEach((text, i) => {
    const participantId = '5' + String(r.int(1000000, 9999999)) + String(r.int(1000000, 9999999));
    // One conversation per age: inside the 24 h window, inside 7 days, and older.
    const lastInboundAt = now - [2 * HOUR, 20 * HOUR, 3 * DAY, 6 * DAY, 12 * DAY][i]!;
    const conversation = { id: state.newOpaqueId('aWdfZAG06'), igId: account.igId, participantId, participantUsername: r.pick(COMMENTERS), updatedAt: lastInboundAt, lastInboundAt };
    state.conversations.set(conversation.id, conversation);
    const messages = [
      { text, at: lastInboundAt - 30 * 60_000, direction: 'in' as const },
      { text: 'Hello! Thanks for writing to us 😊', at: lastInboundAt - 20 * 60_000, direction: 'out' as const },
      { text: 'Thank you!', at: lastInboundAt, direction: 'in' as const },
    ];
    for (const m of messages) {
      const id = state.newOpaqueId('aWdGGiblWZ');
      state.messages.set(id, {
        id,
        conversationId: conversation.id,
        fromId: m.direction === 'in' ? participantId : account.igId,
        toId: m.direction === 'in' ? account.igId : participantId,
        text: m.text,
        createdAt: m.at,
        direction: m.direction,
      });
    }
  });
}

export function seedState(state: SimState, seed: number): void {
  const r = new Random(seed * 7919 + 17);
  const now = state.clock.now();
  const account = seedAccount(state, r);
  seedDays(state, r, account, now);
  seedMedia(state, r, account, now);
  seedConversations(state, r, account, now);
}

/**
 * A second (third…) business account with its own history and media, for agencies with several
 * accounts and for tests that must show one account's data never touches another's.
 */
export function seedAdditionalAccount(state: SimState, seed: number, username: string, name: string): SimAccount {
  const r = new Random(seed * 104729 + username.length);
  const now = state.clock.now();
  const account = seedAccount(state, r, username, name);
  seedDays(state, r, account, now);
  seedMedia(state, r, account, now);
  seedConversations(state, r, account, now);
  return account;
}
