// Saved hashtag sets: named groups of hashtags the composer inserts into a caption.
import type { Clock } from '../../clock.js';
import { Forbidden, Invalid, NotFound } from '../../errors.js';
import type { Actor } from '../users/users.service.js';
import { CAPTION_LIMITS } from './caption.js';
import type { HashtagSetRow, PostsRepo } from './posts.repo.js';

const TAG = /^#?([\p{L}\p{N}_]{1,100})$/u;

/** "#coffee, latte  #almaty" → "#coffee #latte #almaty", or undefined when a word is not a hashtag. */
export function normaliseTags(input: string): string[] | undefined {
  const words = input.split(/[\s,;]+/).filter(Boolean);
  const tags: string[] = [];
  for (const word of words) {
    const match = TAG.exec(word);
    if (!match) return undefined;
    tags.push(`#${match[1] as string}`);
  }
  return [...new Map(tags.map((t) => [t.toLowerCase(), t])).values()];
}

export class HashtagsService {
  constructor(
    private readonly repo: PostsRepo,
    private readonly clock: Clock,
  ) {}

  list(): HashtagSetRow[] {
    return this.repo.hashtagSets();
  }

  create(actor: Actor, name: string, input: string): HashtagSetRow {
    if (actor.role === 'viewer') throw new Forbidden('content.error.viewerOnly');
    const errors: Record<string, string> = {};
    if (!name.trim()) errors['name'] = 'form.error.required';
    const tags = normaliseTags(input);
    if (!tags || tags.length === 0) errors['tags'] = 'content.hashtags.error.format';
    else if (tags.length > CAPTION_LIMITS.hashtags) errors['tags'] = 'content.hashtags.error.tooMany';
    if (Object.keys(errors).length > 0) throw new Invalid(errors);
    return this.repo.insertHashtagSet(name.trim().slice(0, 60), (tags as string[]).join(' '), this.clock.now());
  }

  remove(actor: Actor, id: number): void {
    if (actor.role === 'viewer') throw new Forbidden('content.error.viewerOnly');
    if (!this.repo.findHashtagSet(id)) throw new NotFound();
    this.repo.removeHashtagSet(id);
  }
}
