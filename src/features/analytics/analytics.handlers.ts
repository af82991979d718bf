// Analytics: the dashboard for one account and date range, its printable report, CSV exports,
// and "read from Instagram now".
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import { NotFound } from '../../errors.js';
import { currentUser, flash, safeReturnPath } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';
import { POST_SORTS, RANGE_CHOICES, rangeOf, type PostSort, type Range } from './analytics.calc.js';
import { CSV_SERIES, KPI_METRICS, type CsvSeries } from './analytics.service.js';

const query = (req: Request, name: string): string => (typeof req.query[name] === 'string' ? (req.query[name] as string) : '');

const CHART_SCRIPTS = ['/assets/vendor/chart.umd.min.js', '/assets/js/charts.js'];

export function analyticsHandlers(services: Services, clock: Clock) {
  const { analytics } = services;

  /** The range asked for; a bad custom range falls back to 30 days and says why. */
  const rangeFrom = (req: Request): { range: Range; error: string | null; typed: { from: string; to: string } } => {
    const typed = { from: query(req, 'from').slice(0, 10), to: query(req, 'to').slice(0, 10) };
    const result = rangeOf(query(req, 'range') || '30', analytics.today(), typed);
    if (result.ok) return { range: result.range, error: null, typed };
    const fallback = rangeOf('30', analytics.today());
    if (!fallback.ok) throw new Error('the 30-day range is always valid');
    return { range: fallback.range, error: `analytics.range.error.${result.error}`, typed };
  };

  const accountOf = (res: Response): number => {
    const account = res.locals.currentAccount;
    if (!account) throw new NotFound('analytics.error.noAccount');
    return account.id;
  };

  const sortOf = (req: Request): PostSort => {
    const raw = query(req, 'sort');
    return (POST_SORTS as readonly string[]).includes(raw) ? (raw as PostSort) : 'views';
  };

  const render = async (req: Request, res: Response, view: 'analytics/index' | 'analytics/report'): Promise<void> => {
    const user = currentUser(res);
    const account = res.locals.currentAccount;
    const { range, error, typed } = rangeFrom(req);
    const sort = sortOf(req);
    const params = new URLSearchParams({ range: range.choice, ...(range.choice === 'custom' ? { from: range.from, to: range.to } : {}) });
    // One formatter each for the long tables (a new Intl object per cell is what made them slow).
    const numbers = new Intl.NumberFormat(res.locals.lang);
    const days = new Intl.DateTimeFormat(res.locals.lang, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
    const fmt = { num: (n: number) => numbers.format(n), day: (day: string) => days.format(new Date(`${day}T00:00:00Z`)) };
    await page(res, view, {
      fmt,
      title: view === 'analytics/report' ? 'analytics.report.title' : 'analytics.title',
      board: account ? analytics.dashboard(account.id, range, user.timeZone, sort) : null,
      rangeChoices: RANGE_CHOICES,
      rangeError: error,
      typed,
      sort,
      sorts: POST_SORTS,
      kpiMetrics: KPI_METRICS,
      series: CSV_SERIES,
      rangeQuery: params.toString(),
      canRefresh: user.role !== 'viewer',
      generatedAt: clock.now(),
      scripts: view === 'analytics/index' ? CHART_SCRIPTS : [],
      printable: view === 'analytics/report',
    });
  };

  return {
    async showAnalyticsPage(req: Request, res: Response): Promise<void> {
      await render(req, res, 'analytics/index');
    },

    async showReportPage(req: Request, res: Response): Promise<void> {
      await render(req, res, 'analytics/report');
    },

    exportCsv(req: Request, res: Response): void {
      const series = String(req.params['series'] ?? '');
      if (!(CSV_SERIES as readonly string[]).includes(series)) throw new NotFound('analytics.error.noSeries');
      const accountId = accountOf(res);
      const { range } = rangeFrom(req);
      const csv = analytics.csv(accountId, series as CsvSeries, range, currentUser(res).timeZone);
      const name = `${res.locals.currentAccount?.username ?? 'account'}-${series}-${range.from}-${range.to}.csv`.replace(/[^\w.-]/g, '_');
      res.type('text/csv; charset=utf-8').attachment(name).send(csv);
    },

    async refreshAnalytics(req: Request, res: Response): Promise<void> {
      const back = safeReturnPath((req.body as Record<string, unknown>)['returnTo'], '/analytics');
      const accountId = accountOf(res);
      if (services.accounts.repo.findById(accountId)?.status !== 'ok') {
        // Stored numbers stay visible; reading more needs the account reconnected first.
        flash(req, 'error', 'instagram.errorClass.reconnect.text');
        return res.redirect(303, back);
      }
      const counts = await analytics.refresh(currentUser(res), accountId);
      flash(req, counts.failed > 0 ? 'error' : 'success', counts.failed > 0 ? 'analytics.flash.refreshFailed' : 'analytics.flash.refreshed', { days: counts.days, posts: counts.media });
      res.redirect(303, back);
    },
  };
}
