// Every failure talking to Instagram becomes a GraphError with a class that decides what
// Qanat does next. The class comes from code/subcode, never from the HTTP status alone.

export const ERROR_CLASSES = [
  'reconnect',
  'permission',
  'throttled',
  'transient',
  'notReady',
  'quota',
  'invalidMedia',
  'invalidCaption',
  'permanent',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_title?: string;
  error_user_msg?: string;
  fbtrace_id?: string;
}

const THROTTLE_CODES = new Set([4, 17, 32, 341, 613, 80002]);
const TRANSIENT_CODES = new Set([1, 2]);
const TRANSIENT_SUBCODES = new Set([2207001, 2207003, 2207032, 1545133]);
const CAPTION_SUBCODES = new Set([2207010, 2207040]);
const MESSAGING_FINAL = new Set([2534022, 2534025, 2534014, 2534001]);
/** The 2207xxx subcodes that mean "fix the media", from the contract's table (6.3) and the wild. */
const MEDIA_SUBCODES = new Set([
  2207004, 2207005, 2207006, 2207009, 2207020, 2207023, 2207026, 2207028, 2207035, 2207036, 2207037, 2207052, 2207053, 2207057,
  2207076, 2207077, 2207082, 2207085,
]);

export function classify(code: number | undefined, subcode: number | undefined, httpStatus?: number): ErrorClass {
  if (subcode === 2207051) return 'permanent'; // spam restriction comes with code 4 but must not be retried
  if (code === 190) return 'reconnect';
  if (code === 9007 || subcode === 2207027) return 'notReady';
  if (subcode === 2207042 || (code === 9 && subcode === undefined)) return 'quota';
  if (code !== undefined && THROTTLE_CODES.has(code)) return 'throttled';
  if (subcode !== undefined && CAPTION_SUBCODES.has(subcode)) return 'invalidCaption';
  if (subcode !== undefined && MEDIA_SUBCODES.has(subcode)) return 'invalidMedia';
  if ((code !== undefined && TRANSIENT_CODES.has(code)) || (subcode !== undefined && TRANSIENT_SUBCODES.has(subcode))) return 'transient';
  // Code 10 is also how the messaging window and private-reply limits answer: those are final, not a permission.
  if (code === 10 && subcode !== undefined && MESSAGING_FINAL.has(subcode)) return 'permanent';
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299)) return 'permission';
  if (code === undefined && httpStatus !== undefined && httpStatus >= 500) return 'transient';
  return 'permanent';
}

export class GraphError extends Error {
  readonly errorClass: ErrorClass;

  constructor(
    message: string,
    readonly httpStatus: number,
    readonly code: number | undefined,
    readonly subcode: number | undefined,
    readonly detail: { type?: string; isTransient?: boolean; userTitle?: string; userMessage?: string; fbtraceId?: string } = {},
    /** For throttling: how long Instagram asks us to wait (from usage headers), if it said. */
    readonly retryAfterMs: number | undefined = undefined,
    errorClass?: ErrorClass,
  ) {
    super(message);
    this.name = 'GraphError';
    this.errorClass = errorClass ?? classify(code, subcode, httpStatus);
  }

  static fromBody(httpStatus: number, body: GraphErrorBody, retryAfterMs?: number): GraphError {
    // "(#10) Not enough viewers for the media to show insights" (§5.2) is not a missing permission.
    const notEnoughViewers = body.code === 10 && /not enough viewers/i.test(body.message ?? '');
    return new GraphError(
      body.message ?? `Instagram answered HTTP ${httpStatus}`,
      httpStatus,
      body.code,
      body.error_subcode,
      { type: body.type, isTransient: body.is_transient, userTitle: body.error_user_title, userMessage: body.error_user_msg, fbtraceId: body.fbtrace_id },
      retryAfterMs,
      notEnoughViewers ? 'permanent' : undefined,
    );
  }

  /** Network failures, resets and timeouts: no answer from Instagram at all. */
  static transport(message: string): GraphError {
    return new GraphError(message, 0, undefined, undefined, {}, undefined, 'transient');
  }

  get retryable(): boolean {
    return this.errorClass === 'transient' || this.errorClass === 'throttled' || this.errorClass === 'notReady';
  }

  /** i18n keys explaining this error to the owner: the specific code if we have one, else the class. */
  explanationKeys(): { title: string; text: string; params: Record<string, number> } {
    const title = `instagram.errorClass.${this.errorClass}.title`;
    if (this.subcode !== undefined && EXPLAINED_SUBCODES.has(this.subcode)) return { title, text: `instagram.code.${this.subcode}`, params: {} };
    // Throttling with a known wait says how long, in minutes.
    if (this.errorClass === 'throttled' && this.retryAfterMs !== undefined) {
      return { title, text: 'instagram.errorClass.throttled.textWithWait', params: { minutes: Math.max(1, Math.ceil(this.retryAfterMs / 60_000)) } };
    }
    return { title, text: `instagram.errorClass.${this.errorClass}.text`, params: {} };
  }
}

/** Subcodes with their own explanation in src/i18n/instagram.<lang>.json. */
export const EXPLAINED_SUBCODES = new Set([
  2207003, 2207020, 2207001, 2207032, 2207053, 2207057, 2207051, 2207042, 2207006, 2207008, 2207050, 2207023, 2207028, 2207035,
  2207036, 2207037, 2207040, 2207026, 2207052, 2207027, 2207004, 2207005, 2207009, 2207010, 2207018, 2207073, 2207076, 2207077,
  2207082, 2207085, 2207081, 2534022, 2534014, 2534001, 1545133, 2534025,
]);
