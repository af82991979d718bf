// §1: consent window (www), code exchange (api), long-lived exchange and refresh (graph).
import express, { type Request, type Response, Router } from 'express';
import { constantTimeEqual } from '../db/crypto.js';
import { DAY, HOUR } from './clock.js';
import type { SimContext } from './context.js';
import { LegacyOAuthError, SimError, errors } from './errors.js';
import { authenticate } from './auth.js';
import { consentPage, oauthErrorPage } from './oauth-page.js';
import { ALL_SCOPES } from './state.js';

const LONG_LIVED_MS = 60 * DAY;
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const MAX_OPEN_CODES = 1000;


/** Codes live an hour; the consent window is public, so old ones are dropped and their number capped. */
function pruneCodes(ctx: SimContext): void {
  const now = ctx.clock.now();
  for (const [key, entry] of ctx.state.codes) if (entry.used || now - entry.issuedAt > HOUR) ctx.state.codes.delete(key);
  while (ctx.state.codes.size >= MAX_OPEN_CODES) ctx.state.codes.delete(ctx.state.codes.keys().next().value as string);
}

function issueToken(ctx: SimContext, kind: 'short' | 'long', igId: string, scopes: string[]): { token: string; expiresInS: number } {
  const now = ctx.clock.now();
  const lifetime = kind === 'short' ? HOUR : LONG_LIVED_MS;
  const token = 'IGAA' + ctx.state.random.token(kind === 'short' ? 120 : 160);
  ctx.state.tokens.set(token, { token, kind, igId, scopes, issuedAt: now, expiresAt: now + lifetime });
  return { token, expiresInS: Math.floor(lifetime / 1000) };
}

export function wwwRouter(ctx: SimContext, stylesheet: string): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  const check = (req: Request, res: Response): { redirectUri: string; state: string } | undefined => {
    const source = req.method === 'GET' ? req.query : (req.body as Record<string, unknown>);
    const clientId = str(source['client_id']);
    const redirectUri = str(source['redirect_uri']);
    let problem: string | undefined;
    if (clientId !== ctx.options.appId) problem = 'Invalid platform app (client_id does not match the app).';
    else if (!/^https?:\/\//.test(redirectUri)) problem = 'Invalid redirect_uri.';
    else if (ctx.options.redirectUris && !ctx.options.redirectUris.includes(redirectUri)) problem = 'Invalid redirect_uri: it must match a registered URI exactly.';
    else if (req.method === 'GET' && str(req.query['response_type']) !== 'code') problem = 'response_type must be code.';
    if (problem) {
      res.status(400).type('html').send(oauthErrorPage(problem, stylesheet));
      return undefined;
    }
    return { redirectUri, state: str(source['state']) };
  };

  router.get('/oauth/authorize', (req, res) => {
    const valid = check(req, res);
    if (!valid) return;
    const requested = str(req.query['scope']).split(/[,\s]+/).filter((s) => (ALL_SCOPES as readonly string[]).includes(s));
    res.type('html').send(consentPage({ accounts: [...ctx.state.accounts.values()], clientId: ctx.options.appId, redirectUri: valid.redirectUri, state: valid.state, scopes: requested, stylesheet }));
  });

  router.post('/oauth/authorize', (req, res) => {
    const valid = check(req, res);
    if (!valid) return;
    const body = req.body as Record<string, unknown>;
    const target = new URL(valid.redirectUri);
    if (str(body['decision']) !== 'allow') {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_reason', 'user_denied');
      target.searchParams.set('error_description', 'The user denied your request');
    } else {
      const granted = ([] as unknown[]).concat(body['scope'] ?? []).map(str).filter((s) => (ALL_SCOPES as readonly string[]).includes(s));
      pruneCodes(ctx);
      const code = 'AQB' + ctx.state.random.token(180);
      // The person picks which of their accounts to connect (the first one if they have one).
      const chosen = ctx.state.accounts.get(str(body['account'])) ?? ctx.state.primaryAccount();
      ctx.state.codes.set(code, { code, igId: chosen.igId, redirectUri: valid.redirectUri, scopes: granted, issuedAt: ctx.clock.now(), used: false });
      target.searchParams.set('code', code);
    }
    if (valid.state) target.searchParams.set('state', valid.state);
    res.redirect(302, target.toString() + '#_');
  });
  return router;
}

export function apiRouter(ctx: SimContext): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));
  router.post('/oauth/access_token', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (str(body['client_id']) !== ctx.options.appId || !constantTimeEqual(str(body['client_secret']), ctx.options.appSecret)) {
      throw new LegacyOAuthError('Invalid Client Secret or Client ID');
    }
    if (str(body['grant_type']) !== 'authorization_code') throw new LegacyOAuthError('Invalid grant_type: must be authorization_code');
    const entry = ctx.state.codes.get(str(body['code']));
    if (!entry || entry.used || ctx.clock.now() - entry.issuedAt > HOUR) throw new LegacyOAuthError('Invalid authorization code');
    if (entry.redirectUri !== str(body['redirect_uri'])) throw new LegacyOAuthError('Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request');
    entry.used = true;
    const { token } = issueToken(ctx, 'short', entry.igId, entry.scopes);
    const userId = ctx.state.accounts.get(entry.igId)?.appScopedId ?? '0';
    // user_id is written as a bare JSON number, as real clients receive it; it exceeds 2^53.
    const flat = `{"access_token":${JSON.stringify(token)},"user_id":${userId},"permissions":${JSON.stringify(entry.scopes)}}`;
    const wrapped = `{"data":[{"access_token":${JSON.stringify(token)},"user_id":"${userId}","permissions":${JSON.stringify(entry.scopes.join(','))}}]}`;
    res.type('json').send(ctx.options.exchangeShape === 'wrapped' ? wrapped : flat);
  });
  return router;
}

/** Mounted on the Graph router, before the versioned routes. */
export function tokenRoutes(ctx: SimContext, router: Router): void {
  router.get('/access_token', (req, res) => {
    if (str(req.query['grant_type']) !== 'ig_exchange_token') throw errors.invalidParameter('grant_type must be ig_exchange_token');
    if (!constantTimeEqual(str(req.query['client_secret']), ctx.options.appSecret)) throw new SimError(101, 'Error validating client secret.');
    const authed = authenticate(ctx, req);
    if (authed.token.kind !== 'short') throw new SimError(452, 'Session key invalid. This could be because the session key has an incorrect format, or because the user has revoked this session');
    const long = issueToken(ctx, 'long', authed.account.igId, authed.token.scopes);
    res.json({ access_token: long.token, token_type: 'bearer', expires_in: long.expiresInS - 56 });
  });

  router.get('/refresh_access_token', (req, res) => {
    if (str(req.query['grant_type']) !== 'ig_refresh_token') throw errors.invalidParameter('grant_type must be ig_refresh_token');
    const authed = authenticate(ctx, req);
    if (authed.token.kind !== 'long') throw new SimError(190, 'Invalid OAuth access token - only long-lived tokens can be refreshed');
    if (ctx.clock.now() - authed.token.issuedAt < DAY) throw new SimError(ctx.options.refreshTooYoung.code, ctx.options.refreshTooYoung.message);
    if (!authed.token.scopes.includes('instagram_business_basic')) throw new SimError(10, '(#10) The user has not granted instagram_business_basic');
    const long = issueToken(ctx, 'long', authed.account.igId, authed.token.scopes);
    res.json({ access_token: long.token, token_type: 'bearer', expires_in: long.expiresInS });
  });
}
