// Splits a webhook delivery (§7.5) into single events and reads the two kinds the inbox uses.
// Pure functions: no database, no network.
import crypto from 'node:crypto';
import { z } from 'zod';

export interface WebhookEvent {
  /** Hash of the account id and the event: the same event redelivered has the same id. */
  id: string;
  igUserId: string;
  field: string;
  /** entry.time in ms (seconds in comment examples, ms in messaging ones). */
  time: number | undefined;
  value: unknown;
}

const entrySchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  time: z.number().optional(),
  changes: z.array(z.object({ field: z.string(), value: z.unknown() })).optional(),
  messaging: z.array(z.record(z.string(), z.unknown())).optional(),
  // §7.5: one examples page draws field/value right under entry.
  field: z.string().optional(),
  value: z.unknown().optional(),
});
const deliverySchema = z.object({ object: z.string(), entry: z.array(z.unknown()) });

/** Seconds or milliseconds, whichever the number is (anything before 2001 in ms would be seconds). */
export function epochMs(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return undefined;
  return value < 1e12 ? Math.round(value * 1000) : Math.round(value);
}

function eventId(igUserId: string, field: string, value: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify([igUserId, field, value])).digest('hex');
}

/** Which messaging field an item belongs to, from the key it carries. */
function messagingField(item: Record<string, unknown>): string {
  if ('message' in item) return 'messages';
  if ('message_edit' in item) return 'message_edit';
  if ('reaction' in item) return 'message_reactions';
  if ('read' in item) return 'messaging_seen';
  if ('postback' in item) return 'messaging_postbacks';
  if ('referral' in item) return 'messaging_referral';
  return 'messaging_other';
}

/**
 * Every event in a delivery. Returns undefined when the body is not an Instagram delivery at all;
 * entries that do not parse are skipped (one bad entry does not cost the others).
 */
export function splitDelivery(body: unknown): WebhookEvent[] | undefined {
  const delivery = deliverySchema.safeParse(body);
  if (!delivery.success || delivery.data.object !== 'instagram') return undefined;
  const events: WebhookEvent[] = [];
  for (const raw of delivery.data.entry) {
    const entry = entrySchema.safeParse(raw);
    if (!entry.success) continue;
    const { id: igUserId, time } = entry.data;
    const push = (field: string, value: unknown) => events.push({ id: eventId(igUserId, field, value), igUserId, field, time: epochMs(time), value });
    for (const change of entry.data.changes ?? []) push(change.field, change.value);
    for (const item of entry.data.messaging ?? []) push(messagingField(item), item);
    if (entry.data.field && entry.data.value !== undefined) push(entry.data.field, entry.data.value);
  }
  return events;
}

const commentValue = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  text: z.string().default(''),
  parent_id: z.union([z.string(), z.number()]).transform(String).optional(),
  from: z.object({ id: z.union([z.string(), z.number()]).transform(String), username: z.string().default('') }),
  media: z.object({ id: z.union([z.string(), z.number()]).transform(String), media_product_type: z.string().optional() }),
});
export type CommentChange = z.infer<typeof commentValue>;

export function readComment(value: unknown): CommentChange | undefined {
  const parsed = commentValue.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const messageItem = z.object({
  sender: z.object({ id: z.union([z.string(), z.number()]).transform(String) }),
  recipient: z.object({ id: z.union([z.string(), z.number()]).transform(String) }),
  timestamp: z.number().optional(),
  message: z.object({
    mid: z.string(),
    text: z.string().optional(),
    is_echo: z.boolean().optional(),
    is_deleted: z.boolean().optional(),
    is_unsupported: z.boolean().optional(),
    attachments: z.array(z.object({ type: z.string() }).passthrough()).optional(),
  }),
});
export type MessageItem = z.infer<typeof messageItem>;

export function readMessage(value: unknown): MessageItem | undefined {
  const parsed = messageItem.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

const editItem = z.object({ message_edit: z.object({ mid: z.string(), text: z.string() }) });

export function readEdit(value: unknown): { mid: string; text: string } | undefined {
  const parsed = editItem.safeParse(value);
  return parsed.success ? parsed.data.message_edit : undefined;
}
