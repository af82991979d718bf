// Renders a view inside the layout. Views only ever receive what the handler passes
// explicitly plus res.locals — never req.query or req.body wholesale.
import type { Response } from 'express';

function renderToString(res: Response, view: string, data: object): Promise<string> {
  return new Promise((resolve, reject) => {
    res.app.render(view, { ...res.locals, ...data }, (error: Error | null, html?: string) => (error ? reject(error) : resolve(html ?? '')));
  });
}

export interface PageData {
  /** i18n key of the page title. */
  title: string;
  [key: string]: unknown;
}

/** One-shot messages are taken from the session only when a page actually shows them. */
function takeFlash(res: Response): void {
  const session = res.req.session as typeof res.req.session | undefined;
  const pending = session?.flash;
  if (!session || !pending || pending.length === 0) return;
  res.locals.flash = [...(res.locals.flash ?? []), ...pending.map((f) => ({ kind: f.kind, text: res.locals.t(f.key, f.params) }))];
  delete session.flash;
}

export async function page(res: Response, view: string, data: PageData, status = 200): Promise<void> {
  takeFlash(res);
  const body = await renderToString(res, view, data);
  const html = await renderToString(res, 'layouts/main', { ...data, body });
  res.status(status).type('html').send(html);
}
