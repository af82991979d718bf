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

export async function page(res: Response, view: string, data: PageData, status = 200): Promise<void> {
  const body = await renderToString(res, view, data);
  const html = await renderToString(res, 'layouts/main', { ...data, body });
  res.status(status).type('html').send(html);
}
