// §7.4 POST/GET/DELETE /<IG_ID>/subscribed_apps: which webhook fields the account is subscribed to.
import type { Request, Response } from 'express';
import { authedOf, ownAccount, requireScope } from './auth.js';
import { errors, SimError } from './errors.js';

const COMMENT_FIELDS = ['comments', 'live_comments', 'mentions'];
const MESSAGING_FIELDS = [
  'messages',
  'message_reactions',
  'messaging_seen',
  'messaging_postbacks',
  'messaging_referral',
  'messaging_optins',
  'message_edit',
  'standby',
  'messaging_handover',
];

/** §7.5: each field needs the permission that reads it. */
function scopeFor(field: string): string {
  if (COMMENT_FIELDS.includes(field)) return 'instagram_business_manage_comments';
  if (MESSAGING_FIELDS.includes(field)) return 'instagram_business_manage_messages';
  if (field === 'story_insights') throw new SimError(100, '(#100) story_insights is available with Facebook Login only');
  throw new SimError(100, `(#100) Param subscribed_fields[${field}] must be one of {${[...COMMENT_FIELDS, ...MESSAGING_FIELDS].join(', ')}}`);
}

function fieldsParam(req: Request): string[] {
  const raw = (req.body as Record<string, unknown> | undefined)?.['subscribed_fields'] ?? req.query['subscribed_fields'];
  const list = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(',') : [];
  const fields = list.map((f) => f.trim()).filter(Boolean);
  if (fields.length === 0) throw errors.missingParameter('subscribed_fields');
  return [...new Set(fields)];
}

export function subscribe(req: Request, res: Response): void {
  const authed = authedOf(res);
  requireScope(authed, 'instagram_business_basic');
  const account = ownAccount(authed, String(req.params['igId']));
  const fields = fieldsParam(req);
  for (const field of fields) requireScope(authed, scopeFor(field));
  account.subscribedFields = fields;
  res.json({ success: true });
}

export function listSubscriptions(req: Request, res: Response): void {
  const authed = authedOf(res);
  requireScope(authed, 'instagram_business_basic');
  const account = ownAccount(authed, String(req.params['igId']));
  res.json({ data: account.subscribedFields.length > 0 ? [{ subscribed_fields: account.subscribedFields }] : [] });
}

export function unsubscribe(req: Request, res: Response): void {
  const authed = authedOf(res);
  requireScope(authed, 'instagram_business_basic');
  const account = ownAccount(authed, String(req.params['igId']));
  account.subscribedFields = [];
  res.json({ success: true });
}
