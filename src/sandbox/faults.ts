// Injected faults (control API): throttling storms, 5xx, latency, resets, token invalidation.
import type { NextFunction, Request, Response } from 'express';
import type { SimContext } from './context.js';
import { errorBody, SimError } from './errors.js';
import type { SimFault } from './state.js';

const THROTTLE_MESSAGES: Record<number, string> = {
  4: 'Application request limit reached',
  17: 'User request limit reached',
  32: 'Page request limit reached',
  613: 'Calls to this api have exceeded the rate limit.',
  80002: 'There have been too many calls to this Instagram account. Wait a bit and try again.',
};

function take(ctx: SimContext, path: string): SimFault | undefined {
  const fault = ctx.state.faults.find((f) => !f.pathIncludes || path.includes(f.pathIncludes));
  if (!fault || fault.kind === 'container-error') return undefined;
  if (fault.remaining !== undefined) {
    fault.remaining -= 1;
    if (fault.remaining <= 0) ctx.state.faults = ctx.state.faults.filter((f) => f !== fault);
  }
  return fault;
}

/** Usage headers on every Graph answer (§6.4): percentages, 100 when throttled. */
function usageHeaders(res: Response, igId: string, percent: number, regainMinutes: number): void {
  res.set('X-App-Usage', JSON.stringify({ call_count: percent, total_time: Math.min(percent, 100), total_cputime: Math.min(percent, 100) }));
  res.set(
    'X-Business-Use-Case-Usage',
    JSON.stringify({ [igId]: [{ type: 'instagram', call_count: percent, total_cputime: percent, total_time: percent, estimated_time_to_regain_access: regainMinutes }] }),
  );
}

const REQUEST_LOG_SIZE = 5000;

export function faultMiddleware(ctx: SimContext) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    ctx.state.counters.requests += 1;
    const query = Object.fromEntries(Object.entries(req.query).filter(([key, value]) => key !== 'access_token' && typeof value === 'string')) as Record<string, string>;
    ctx.state.requestLog.push({ method: req.method, path: req.path, query });
    if (ctx.state.requestLog.length > REQUEST_LOG_SIZE) ctx.state.requestLog.splice(0, ctx.state.requestLog.length - REQUEST_LOG_SIZE);
    const igId = ctx.state.accounts.size > 0 ? ctx.state.primaryAccount().igId : '0';
    const fault = take(ctx, req.path);
    if (!fault) {
      usageHeaders(res, igId, Math.min(99, ctx.state.counters.requests % 100), 0);
      return next();
    }
    switch (fault.kind) {
      case 'latency':
        await new Promise((r) => setTimeout(r, fault.ms ?? 1000));
        return next();
      case 'reset':
        req.socket.destroy();
        return;
      case 'throttle': {
        const code = fault.code ?? 4;
        const regain = fault.regainMinutes ?? (code === 80002 ? 5 : 0);
        usageHeaders(res, igId, 100, regain);
        res.status(400).json(errorBody(new SimError(code, THROTTLE_MESSAGES[code] ?? 'Rate limit reached', { isTransient: true })));
        return;
      }
      case 'server-error': {
        const code = fault.code ?? 2;
        res.status(500).json(errorBody(new SimError(code, code === 1 ? 'An unknown error occurred' : 'Service temporarily unavailable', { isTransient: true, http: 500 })));
        return;
      }
      case 'invalidate-token':
        for (const token of ctx.state.tokens.values()) token.revokedSubcode = fault.subcode ?? 460;
        return next();
      default:
        return next();
    }
  };
}
