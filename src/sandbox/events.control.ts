// Control API for the engagement side (tests and the demo): people comment and write DMs, and the
// follower count moves across the 100-follower insights gate. Each inbound event is sent as a
// webhook before the answer, whose `webhook` field says what became of it.
import type { Response } from 'express';
import { z } from 'zod';
import type { ControlExtension } from './control.routes.js';
import { NoSuch, people } from './people.js';

const commentSchema = z.object({
  mediaId: z.string().min(1).optional(),
  text: z.string().min(1),
  username: z.string().min(1).optional(),
  parentId: z.string().min(1).optional(),
});
const messageSchema = z.object({ text: z.string().min(1), participantId: z.string().min(1).optional(), username: z.string().min(1).optional() });
const accountSchema = z.object({ followersCount: z.number().int().min(0), igId: z.string().optional() });

const notFound = (res: Response, what: string) => res.status(404).json({ error: `no such ${what}` });

export const engagementControl: ControlExtension = (ctx, router) => {
  const them = people(ctx);

  router.post('/comments', async (req, res) => {
    try {
      return res.status(201).json(await them.comment(commentSchema.parse(req.body)));
    } catch (error) {
      if (error instanceof NoSuch) return notFound(res, error.message);
      throw error;
    }
  });

  router.post('/messages', async (req, res) => res.status(201).json(await them.message(messageSchema.parse(req.body))));

  router.post('/account', (req, res) => {
    const body = accountSchema.parse(req.body);
    const account = body.igId ? ctx.state.accounts.get(body.igId) : ctx.state.primaryAccount();
    if (!account) return notFound(res, 'account');
    account.followersCount = body.followersCount;
    return res.json({ igId: account.igId, followersCount: account.followersCount });
  });
};
