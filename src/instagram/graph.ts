// The versioned Graph host, with the token in the Authorization header.
import { graphRequest, type HttpSettings, type Params } from './http.js';

export class Graph {
  constructor(
    readonly baseUrl: string,
    readonly version: string,
    readonly http: HttpSettings,
  ) {}

  url(path: string): string {
    return `${this.baseUrl}/${this.version}/${path.replace(/^\//, '')}`;
  }

  get<T>(token: string, path: string, query?: Params): Promise<T> {
    return graphRequest<T>(this.http, { method: 'GET', url: this.url(path), token, ...(query ? { query } : {}) });
  }

  post<T>(token: string, path: string, form: Params): Promise<T> {
    return graphRequest<T>(this.http, { method: 'POST', url: this.url(path), token, form });
  }

  delete<T>(token: string, path: string): Promise<T> {
    return graphRequest<T>(this.http, { method: 'DELETE', url: this.url(path), token });
  }

  /** Follows a `paging.next` URL as given, minus any access_token Meta put in it. */
  next<T>(token: string, nextUrl: string): Promise<T> {
    const url = new URL(nextUrl);
    // The token only ever goes to the Graph host we were configured with.
    if (url.origin !== new URL(this.baseUrl).origin) throw new Error(`refusing to follow paging.next to another host: ${url.origin}`);
    url.searchParams.delete('access_token');
    return graphRequest<T>(this.http, { method: 'GET', url: url.toString(), token });
  }
}
