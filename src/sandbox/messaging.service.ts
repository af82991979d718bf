// §4 rules for direct messages: the 24 h window, HUMAN_AGENT's 7 days, the 1000-byte limit,
// private replies (§3.5) and which messages can still be read in detail.
import { DAY, HOUR } from './clock.js';
import type { SimContext } from './context.js';
import { errors, SimError } from './errors.js';
import type { SimAccount, SimComment, SimConversation, SimMessage } from './state.js';

export const MESSAGE_MAX_BYTES = 1000;
export const STANDARD_WINDOW_MS = 24 * HOUR;
export const HUMAN_AGENT_WINDOW_MS = 7 * DAY;
export const PRIVATE_REPLY_WINDOW_MS = 7 * DAY;
/** §4.1: only the newest 20 messages of a conversation can be read in detail. */
export const READABLE_MESSAGES = 20;

const outsideWindow = () => new SimError(10, 'This message is sent outside of allowed window.', { subcode: 2534022 });
const notForPrivateReply = () => new SimError(100, 'The comment is invalid for a private reply', { subcode: 2534025 });

export function conversationsOf(ctx: SimContext, igId: string): SimConversation[] {
  return [...ctx.state.conversations.values()].filter((c) => c.igId === igId).sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1));
}

/** Newest first (§4.1). */
export function messagesOf(ctx: SimContext, conversationId: string): SimMessage[] {
  return [...ctx.state.messages.values()].filter((m) => m.conversationId === conversationId).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
}

export function isReadable(ctx: SimContext, message: SimMessage): boolean {
  return messagesOf(ctx, message.conversationId).slice(0, READABLE_MESSAGES).some((m) => m.id === message.id);
}

export function ownConversation(ctx: SimContext, account: SimAccount, id: string): SimConversation | undefined {
  const conversation = ctx.state.conversations.get(id);
  return conversation && conversation.igId === account.igId ? conversation : undefined;
}

/** Messages past the newest 20 answer as if they were deleted (§4.1). */
export function readableMessage(ctx: SimContext, account: SimAccount, id: string): SimMessage | undefined {
  const message = ctx.state.messages.get(id);
  if (!message || !ownConversation(ctx, account, message.conversationId)) return undefined;
  return isReadable(ctx, message) ? message : undefined;
}

function checkText(text: unknown): string {
  if (typeof text !== 'string' || text.length === 0) throw errors.missingParameter('message[text]');
  if (Buffer.byteLength(text, 'utf8') > MESSAGE_MAX_BYTES) {
    throw new SimError(100, `(#100) Length of param message[text] must be less than or equal to ${MESSAGE_MAX_BYTES}`);
  }
  return text;
}

function addMessage(ctx: SimContext, conversation: SimConversation, direction: 'in' | 'out', text: string): SimMessage {
  const now = ctx.clock.now();
  const message: SimMessage = {
    id: ctx.state.newOpaqueId('aWdGGiblWZ'),
    conversationId: conversation.id,
    fromId: direction === 'in' ? conversation.participantId : conversation.igId,
    toId: direction === 'in' ? conversation.igId : conversation.participantId,
    text,
    createdAt: now,
    direction,
  };
  ctx.state.messages.set(message.id, message);
  conversation.updatedAt = now;
  if (direction === 'in') conversation.lastInboundAt = now;
  return message;
}

function newConversation(ctx: SimContext, account: SimAccount, participantId: string, username: string): SimConversation {
  // lastInboundAt 0: nobody wrote yet, so no window is open.
  const conversation: SimConversation = { id: ctx.state.newOpaqueId('aWdfZAG06'), igId: account.igId, participantId, participantUsername: username, updatedAt: ctx.clock.now(), lastInboundAt: 0 };
  ctx.state.conversations.set(conversation.id, conversation);
  return conversation;
}

export interface TextSend {
  recipientId: string;
  text: unknown;
  /** §4.3: messaging_type=MESSAGE_TAG with tag=HUMAN_AGENT. */
  humanAgent: boolean;
}

/** §4.2–4.3: a text to someone who wrote first, inside their window. */
export function sendText(ctx: SimContext, account: SimAccount, send: TextSend): SimMessage {
  const text = checkText(send.text);
  const conversation = conversationsOf(ctx, account.igId).find((c) => c.participantId === send.recipientId);
  if (!conversation) throw new SimError(100, 'The requested user cannot be found.', { subcode: 2534014 });
  const window = send.humanAgent ? HUMAN_AGENT_WINDOW_MS : STANDARD_WINDOW_MS;
  if (ctx.clock.now() - conversation.lastInboundAt > window) throw outsideWindow();
  return addMessage(ctx, conversation, 'out', text);
}

/** §3.5: one private reply per comment, within 7 days; it does not open the messaging window. */
export function sendPrivateReply(ctx: SimContext, account: SimAccount, comment: SimComment, textValue: unknown): SimMessage {
  const text = checkText(textValue);
  if (comment.privateReplySent || comment.fromId === account.igId) throw notForPrivateReply();
  if (ctx.clock.now() - comment.timestamp > PRIVATE_REPLY_WINDOW_MS) throw notForPrivateReply();
  const conversation = conversationsOf(ctx, account.igId).find((c) => c.participantId === comment.fromId) ?? newConversation(ctx, account, comment.fromId, comment.username);
  comment.privateReplySent = true;
  return addMessage(ctx, conversation, 'out', text);
}

/** A customer writes (control API): continues their conversation or starts one, and opens the window. */
export function receiveMessage(ctx: SimContext, account: SimAccount, inbound: { text: string; participantId?: string; username?: string }): SimMessage {
  const conversations = conversationsOf(ctx, account.igId);
  const existing = inbound.participantId
    ? conversations.find((c) => c.participantId === inbound.participantId)
    : inbound.username
      ? conversations.find((c) => c.participantUsername === inbound.username)
      : undefined;
  const participantId = inbound.participantId ?? '5' + String(ctx.state.random.int(1000000, 9999999)) + String(ctx.state.random.int(1000000, 9999999));
  const conversation = existing ?? newConversation(ctx, account, participantId, inbound.username ?? 'new_customer');
  return addMessage(ctx, conversation, 'in', inbound.text);
}
