// §4 over HTTP: /<IG_ID>/conversations, /<IG_ID>/messages, and the conversation and message nodes.
import type { Request, Response } from 'express';
import { authedOf, ownAccount, requireScope, type Authed } from './auth.js';
import { graphTime } from './clock.js';
import { ownComment } from './comments.service.js';
import type { SimContext } from './context.js';
import { errors, SimError } from './errors.js';
import { emitInBackground, messageEvent } from './events.js';
import { parseFields, type FieldTree } from './fields.js';
import { conversationsOf, isReadable, messagesOf, ownConversation, readableMessage, sendPrivateReply, sendText } from './messaging.service.js';
import type { NodeKind } from './nodes.js';
import { limitOf, paginate } from './paging.js';
import type { SimAccount, SimConversation, SimMessage } from './state.js';

const CONVERSATION_FIELDS = new Set(['id', 'updated_time', 'participants', 'messages']);
const MESSAGE_FIELDS = new Set(['id', 'created_time', 'from', 'to', 'message', 'attachments', 'reactions', 'shares', 'story', 'is_unsupported']);
/** What the messages edge may show for messages past the newest 20 (§4.1). */
const MESSAGE_LISTING_FIELDS = new Set(['id', 'created_time']);

/** Form, JSON body or query string (§0). */
const param = (req: Request, name: string): unknown => (req.body as Record<string, unknown> | undefined)?.[name] ?? req.query[name];
const textParam = (req: Request, name: string): string | undefined => {
  const value = param(req, name);
  return typeof value === 'string' ? value : undefined;
};

export function allowMessaging(authed: Authed): void {
  requireScope(authed, 'instagram_business_basic');
  requireScope(authed, 'instagram_business_manage_messages');
}

function checkFields(fields: FieldTree, known: Set<string>, nodeType: string): void {
  for (const name of fields.keys()) {
    if (!known.has(name)) throw new SimError(100, `(#100) Tried accessing nonexisting field (${name}) on node type (${nodeType})`);
  }
}

function person(account: SimAccount, conversation: SimConversation | undefined, id: string): { username: string; id: string } {
  return { username: id === account.igId ? account.username : (conversation?.participantUsername ?? ''), id };
}

function messageView(ctx: SimContext, account: SimAccount, message: SimMessage, fields: FieldTree): Record<string, unknown> {
  checkFields(fields, MESSAGE_FIELDS, 'Message');
  const conversation = ctx.state.conversations.get(message.conversationId);
  const detailed = isReadable(ctx, message);
  const out: Record<string, unknown> = { id: message.id };
  for (const name of fields.keys()) {
    if (!detailed && !MESSAGE_LISTING_FIELDS.has(name)) continue;
    if (name === 'created_time') out[name] = graphTime(message.createdAt);
    else if (name === 'from') out[name] = person(account, conversation, message.fromId);
    else if (name === 'to') out[name] = { data: [person(account, conversation, message.toId)] };
    else if (name === 'message') out[name] = message.text;
  }
  return out;
}

function conversationView(ctx: SimContext, account: SimAccount, conversation: SimConversation, fields: FieldTree): Record<string, unknown> {
  checkFields(fields, CONVERSATION_FIELDS, 'Conversation');
  const out: Record<string, unknown> = { id: conversation.id };
  for (const [name, sub] of fields) {
    if (name === 'updated_time') out[name] = graphTime(conversation.updatedAt);
    else if (name === 'participants') out[name] = { data: [person(account, conversation, account.igId), person(account, conversation, conversation.participantId)] };
    else if (name === 'messages') {
      const messageFields = sub === true ? parseFields(undefined, 'id,created_time') : sub;
      out[name] = { data: messagesOf(ctx, conversation.id).map((m) => messageView(ctx, account, m, messageFields)) };
    }
  }
  return out;
}

/** GET /<IG_ID>/conversations?platform=instagram[&user_id=][&fields=] (§4.1) */
export function listConversations(ctx: SimContext) {
  return (req: Request, res: Response): void => {
    const authed = authedOf(res);
    allowMessaging(authed);
    const account = ownAccount(authed, String(req.params['igId']));
    const platform = textParam(req, 'platform');
    if (!platform) throw errors.missingParameter('platform');
    if (platform.toLowerCase() !== 'instagram') throw errors.invalidParameter('platform must be instagram');
    const userId = textParam(req, 'user_id');
    const conversations = conversationsOf(ctx, account.igId).filter((c) => !userId || c.participantId === userId);
    const fields = parseFields(req.query['fields'] as string | undefined, 'id,updated_time');
    const page = paginate(req, conversations, limitOf(req, 25, 100));
    res.json({ ...page, data: page.data.map((c) => conversationView(ctx, account, c, fields)) });
  };
}

/** §0: complex values are JSON-encoded in a form or query; a JSON body may carry them as objects. */
function jsonParam(req: Request, name: string): Record<string, unknown> {
  const raw = param(req, name);
  if (raw === undefined || raw === '') throw errors.missingParameter(name);
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      value = undefined;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.invalidParameter(`${name} must be a JSON-encoded object`);
  return value as Record<string, unknown>;
}

function humanAgentOf(req: Request): boolean {
  const messagingType = textParam(req, 'messaging_type');
  const tag = textParam(req, 'tag');
  if (messagingType !== undefined && !['RESPONSE', 'UPDATE', 'MESSAGE_TAG'].includes(messagingType)) throw errors.invalidParameter('messaging_type must be RESPONSE, UPDATE or MESSAGE_TAG');
  if (messagingType === 'MESSAGE_TAG' && tag !== 'HUMAN_AGENT') throw errors.invalidParameter('tag must be HUMAN_AGENT with messaging_type=MESSAGE_TAG');
  if (tag !== undefined && messagingType !== 'MESSAGE_TAG') throw errors.invalidParameter('tag needs messaging_type=MESSAGE_TAG');
  return messagingType === 'MESSAGE_TAG';
}

/** POST /<IG_ID>/messages (§4.2, private replies §3.5); every outbound message is echoed (§7.5). */
export function postMessage(ctx: SimContext) {
  return (req: Request, res: Response): void => {
    const authed = authedOf(res);
    allowMessaging(authed);
    const account = ownAccount(authed, String(req.params['igId']));
    const recipient = jsonParam(req, 'recipient');
    const message = jsonParam(req, 'message');
    if (message['attachment'] !== undefined || message['attachments'] !== undefined) throw errors.invalidParameter('the simulator sends text messages only');
    const humanAgent = humanAgentOf(req);
    let sent: SimMessage;
    if (typeof recipient['comment_id'] === 'string') {
      const comment = ownComment(ctx, account, recipient['comment_id']);
      if (!comment) throw errors.unknownObject(recipient['comment_id']);
      sent = sendPrivateReply(ctx, account, comment, message['text']);
    } else if (typeof recipient['id'] === 'string') {
      sent = sendText(ctx, account, { recipientId: recipient['id'], text: message['text'], humanAgent });
    } else {
      throw errors.invalidParameter('recipient needs an id or a comment_id');
    }
    emitInBackground(ctx, account, messageEvent(ctx, account, sent));
    res.json({ recipient_id: sent.toId, message_id: sent.id });
  };
}

export const conversationNode: NodeKind<SimConversation> = {
  name: 'conversation',
  find: (ctx, id, authed) => ownConversation(ctx, authed.account, id),
  get(ctx, req, res, conversation, authed) {
    allowMessaging(authed);
    res.json(conversationView(ctx, authed.account, conversation, parseFields(req.query['fields'] as string | undefined, 'id')));
  },
};

/** Only the newest 20 messages of a conversation are found at all (§4.1). */
export const messageNode: NodeKind<SimMessage> = {
  name: 'message',
  find: (ctx, id, authed) => readableMessage(ctx, authed.account, id),
  get(ctx, req, res, message, authed) {
    allowMessaging(authed);
    res.json(messageView(ctx, authed.account, message, parseFields(req.query['fields'] as string | undefined, 'id,created_time')));
  },
};
