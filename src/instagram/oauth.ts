// §1: the authorization window, the code exchange (both documented shapes), long-lived
// exchange and refresh.
import { GraphError } from './graph-error.js';
import { graphRequest, type HttpSettings } from './http.js';
import { REQUIRED_SCOPES, type LongLivedToken, type ShortLivedToken } from './types.js';

export interface OAuthSettings {
  appId: string;
  appSecret: string;
  redirectUri: string;
  authorizeUrl: string;
  tokenUrl: string;
  graphBaseUrl: string;
}

interface FlatExchange {
  access_token?: string;
  user_id?: string | number;
  permissions?: string[] | string;
}

function unexpected(message: string): GraphError {
  return new GraphError(message, 200, undefined, undefined, {}, undefined, 'permanent');
}

function longLived(body: { access_token?: string; token_type?: string; expires_in?: number }): LongLivedToken {
  if (!body.access_token || typeof body.expires_in !== 'number' || !(body.expires_in > 0)) throw unexpected('the token answer has no access_token or expires_in');
  return { accessToken: body.access_token, tokenType: body.token_type ?? 'bearer', expiresIn: body.expires_in };
}

function permissionsOf(value: string[] | string | undefined): string[] {
  if (Array.isArray(value)) return value.map(String);
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Accepts `{access_token, user_id, permissions[]}` and `{data:[{access_token, user_id, permissions:"a,b"}]}`. */
export function normaliseCodeExchange(body: unknown): ShortLivedToken {
  const wrapped = (body as { data?: unknown }).data;
  const flat = (Array.isArray(wrapped) ? wrapped[0] : body) as FlatExchange | undefined;
  if (!flat?.access_token || flat.user_id === undefined) throw unexpected('the code exchange answered without access_token and user_id');
  return { accessToken: flat.access_token, userId: String(flat.user_id), permissions: permissionsOf(flat.permissions) };
}

export class OAuthClient {
  constructor(
    private readonly settings: OAuthSettings,
    private readonly http: HttpSettings,
  ) {}

  authorizeUrl(state: string, options: { forceReauth?: boolean; scopes?: readonly string[] } = {}): string {
    const url = new URL(this.settings.authorizeUrl);
    url.searchParams.set('client_id', this.settings.appId);
    url.searchParams.set('redirect_uri', this.settings.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', (options.scopes ?? REQUIRED_SCOPES).join(','));
    url.searchParams.set('state', state);
    if (options.forceReauth) url.searchParams.set('force_reauth', 'true');
    return url.toString();
  }

  /** The redirect back carries `code=…#_`; the fragment never reaches us, but a pasted code might keep it. */
  static cleanCode(code: string): string {
    return code.replace(/#_$/, '');
  }

  async exchangeCode(code: string): Promise<ShortLivedToken> {
    const body = await graphRequest<unknown>(this.http, {
      method: 'POST',
      url: this.settings.tokenUrl,
      form: {
        client_id: this.settings.appId,
        client_secret: this.settings.appSecret,
        grant_type: 'authorization_code',
        redirect_uri: this.settings.redirectUri,
        code: OAuthClient.cleanCode(code),
      },
    });
    return normaliseCodeExchange(body);
  }

  /** §1.4: server-side only (carries the app secret). The short token goes in the header, not the URL. */
  async exchangeForLongLived(shortToken: string): Promise<LongLivedToken> {
    return longLived(
      await graphRequest<{ access_token?: string; token_type?: string; expires_in?: number }>(this.http, {
        method: 'GET',
        url: `${this.settings.graphBaseUrl}/access_token`,
        token: shortToken,
        query: { grant_type: 'ig_exchange_token', client_secret: this.settings.appSecret },
      }),
    );
  }

  /** §1.5: only for tokens at least 24 h old and not expired. */
  async refresh(longToken: string): Promise<LongLivedToken> {
    return longLived(
      await graphRequest<{ access_token?: string; token_type?: string; expires_in?: number }>(this.http, {
        method: 'GET',
        url: `${this.settings.graphBaseUrl}/refresh_access_token`,
        token: longToken,
        query: { grant_type: 'ig_refresh_token' },
      }),
    );
  }
}
