// Inbox → Messages: conversations, one thread with its reply box, and the inbox settings
// (HUMAN_AGENT replies, the webhook address to give Meta).
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import { NotFound } from '../../errors.js';
import { currentUser, flash } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';
import { canModerate } from './comments.service.js';
import { ATTACHMENT_LABELS } from './conversations.repo.js';
import { flag, messageText } from './engagement.forms.js';
import { MESSAGE_MAX_BYTES } from './messages.service.js';
import { ActionRefused } from './refusals.js';
import { READABLE_MESSAGES } from './sync.service.js';

function conversationIdOf(req: Request): number {
  const raw = String(req.params['conversationId'] ?? '');
  if (!/^\d{1,9}$/.test(raw)) throw new NotFound('engagement.error.conversationGone');
  return Number(raw);
}

function accountOf(res: Response): number {
  const account = res.locals.currentAccount;
  if (!account) throw new NotFound('engagement.error.noAccount');
  return account.id;
}

export function messageHandlers(services: Services, clock: Clock, publicUrl: string) {
  const { messages } = services;

  const showThread = async (res: Response, conversationId: number, form?: { text: string; error: { title?: string; key: string; params: Record<string, string | number> } }, status = 200): Promise<void> => {
    const thread = messages.open(accountOf(res), conversationId);
    await page(
      res,
      'engagement/conversation',
      { title: 'engagement.messages.threadTitle', thread, form: form ?? null, canAct: canModerate(currentUser(res)), maxBytes: MESSAGE_MAX_BYTES, readable: READABLE_MESSAGES, now: clock.now(), attachmentLabels: ATTACHMENT_LABELS },
      status,
    );
  };

  return {
    async showMessagesPage(_req: Request, res: Response): Promise<void> {
      const account = res.locals.currentAccount;
      const accountRow = account ? services.accounts.repo.findById(account.id) : undefined;
      await page(res, 'engagement/messages', {
        title: 'engagement.messages.title',
        conversations: account ? messages.list(account.id) : [],
        hasAccount: account !== undefined,
        canAct: canModerate(currentUser(res)),
        webhooksOn: accountRow?.webhookSubscribed ?? false,
      });
    },

    async showConversationPage(req: Request, res: Response): Promise<void> {
      await showThread(res, conversationIdOf(req));
    },

    async replyToConversation(req: Request, res: Response): Promise<void> {
      const id = conversationIdOf(req);
      const check = messageText(req);
      if (!check.ok) return showThread(res, id, { text: check.text, error: { key: check.error.key, params: check.error.params } }, 422);
      try {
        await messages.reply(currentUser(res), accountOf(res), id, check.text);
      } catch (error) {
        if (!(error instanceof ActionRefused)) throw error;
        return showThread(res, id, { text: check.text, error: { title: error.titleKey, key: error.messageKey, params: error.params } }, 422);
      }
      flash(req, 'success', 'engagement.flash.sent');
      res.redirect(303, `/inbox/messages/${id}#reply`);
    },

    async showInboxSettingsPage(_req: Request, res: Response): Promise<void> {
      const owner = currentUser(res).role === 'owner';
      await page(res, 'engagement/settings', {
        title: 'engagement.settings.title',
        humanAgent: messages.humanAgentEnabled(),
        owner,
        callbackUrl: `${publicUrl}/webhooks/instagram`,
        // The verify token goes into Meta's dashboard; only the owner sets that up.
        verifyToken: owner ? services.instagram.webhookVerifyToken : null,
        accounts: services.accounts.list().map((a) => ({ id: a.id, username: a.username, webhookSubscribed: a.webhookSubscribed })),
      });
    },

    saveInboxSettings(req: Request, res: Response): void {
      messages.setHumanAgent(currentUser(res), flag(req, 'humanAgent'));
      flash(req, 'success', 'engagement.settings.saved');
      res.redirect(303, '/settings/inbox');
    },
  };
}
