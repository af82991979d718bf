// Publishing refusals (§6.3), worded as Instagram words them. One place, so a test that pins a
// code/subcode pair and the simulator cannot drift apart.
import { SimError } from './errors.js';

const USER_TITLE = {
  tooLarge: 'Image size too large',
  format: 'Unsupported format',
  ratio: 'The aspect ratio is not supported.',
  caption: 'Caption too long',
  mentions: 'Too many tags',
  fetch: 'Media download has failed.',
  carousel: 'Invalid number of carousel items',
};

export const mediaErrors = {
  imageTooLarge: () =>
    new SimError(36000, 'The image size is too large.', {
      subcode: 2207004,
      isTransient: false,
      userTitle: USER_TITLE.tooLarge,
      userMessage: 'The image is too large to download. It should be less than 8 MiB.',
    }),
  imageFormat: () =>
    new SimError(36001, 'The image format is not supported.', {
      subcode: 2207005,
      isTransient: false,
      userTitle: USER_TITLE.format,
      userMessage: 'The image format is not supported. Only JPEG images can be published.',
    }),
  aspectRatio: () =>
    new SimError(36003, 'The aspect ratio is not supported.', {
      subcode: 2207009,
      isTransient: false,
      userTitle: USER_TITLE.ratio,
      userMessage: 'The submitted image with aspect ratio is not supported. It must be between 4:5 and 1.91:1.',
    }),
  captionTooLong: () =>
    new SimError(36004, 'The caption is too long.', {
      subcode: 2207010,
      isTransient: false,
      userTitle: USER_TITLE.caption,
      userMessage: 'The caption can be at most 2,200 characters long.',
    }),
  tooManyMentions: () =>
    new SimError(100, 'Invalid parameter', {
      subcode: 2207040,
      isTransient: false,
      userTitle: USER_TITLE.mentions,
      userMessage: 'You can mention at most 20 accounts (@) in a caption.',
    }),
  /** 9004/2207052: Meta's cURL could not get the file (refused, 4xx/5xx, not a URL). */
  fetchFailed: () =>
    new SimError(9004, 'Only photo or video can be accepted as media type.', {
      subcode: 2207052,
      isTransient: false,
      userTitle: USER_TITLE.fetch,
      userMessage: 'The media could not be fetched from this URI. Please make sure the URI is valid and publicly reachable.',
    }),
  /** −2/2207003: the contract's table has a separate, retryable code for a download that timed out. */
  fetchTimedOut: () =>
    new SimError(-2, 'Timeout', {
      subcode: 2207003,
      isTransient: true,
      userTitle: 'Media download timed out',
      userMessage: 'It took too long to download the media. Please try again.',
    }),
  unknownMediaType: (value: string) =>
    new SimError(100, `The media type ${value} is not supported. Supported values are CAROUSEL, REELS, STORIES, and VIDEO (carousel items only).`, {
      subcode: 2207023,
      isTransient: false,
      userTitle: 'Unknown media type',
    }),
  /** §2.2: single feed videos have been unsupported since 9 Nov 2023. */
  feedVideoUnsupported: () =>
    new SimError(100, 'The media type VIDEO is no longer supported for feed posts. Please use REELS instead.', {
      subcode: 2207023,
      isTransient: false,
      userTitle: 'Unsupported media type',
    }),
  carouselSize: (count: number) =>
    new SimError(100, `Invalid parameter: a carousel needs between 2 and 10 children, got ${count}.`, {
      subcode: 2207028,
      isTransient: false,
      userTitle: USER_TITLE.carousel,
      userMessage: 'A carousel must have between 2 and 10 photos or videos.',
    }),
  notReady: () =>
    new SimError(9007, 'The media is not ready for publishing, please wait for a moment', {
      subcode: 2207027,
      isTransient: false,
      userTitle: 'Media not ready',
    }),
  quotaReached: () =>
    new SimError(9, 'Application request limit reached', {
      subcode: 2207042,
      isTransient: false,
      userTitle: 'You have reached the maximum number of posts that is allowed.',
      userMessage: 'The account has reached its limit of posts published through the API in 24 hours.',
    }),
  /**
   * The 400-containers-per-rolling-24 h cap (§2.1) has no documented error. We answer it like the
   * publishing quota (code 9, subcode 2207042): both are per-account 24 h limits that clear only
   * when the window rolls on, so a client must wait rather than retry (code 4 would read as
   * throttling and invite a retry loop against a limit that will not move for hours).
   */
  containerCapReached: (cap: number) =>
    new SimError(9, `Application request limit reached: the account has created ${cap} media containers in the past 24 hours`, {
      subcode: 2207042,
      isTransient: false,
      userTitle: 'Too many media containers',
      userMessage: `An account can create at most ${cap} media containers in 24 hours.`,
    }),
  containerGone: (id: string) =>
    new SimError(24, `The media builder with creation id ${id} does not exist or has been expired.`, {
      subcode: 2207008,
      isTransient: false,
      userTitle: 'Media builder expired',
    }),
  notAllowed: (param: string, on: string) => new SimError(100, `(#100) Param ${param} is not allowed for ${on}`),
};

/** §2.4: what `status` says on ERROR (a sentence with the subcode in it). */
export function uploadFailed(subcode: number): string {
  return `Error: Media upload has failed with error code ${subcode}`;
}
