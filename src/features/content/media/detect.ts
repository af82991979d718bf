// What a file is, from its bytes alone. The name and the browser's Content-Type are chosen by
// whoever uploads, so an HTML page or an SVG (which can carry script) renamed to .jpg is still
// caught here (security.md #20). Text formats have no magic bytes, so file-type finds nothing
// for them and they fall through to the refusal with everything else we do not know.
import { fileTypeFromFile } from 'file-type';
import { MediaRejected } from './rules.js';

export type MediaKind = 'image' | 'video';

/** Photos sharp decodes; GIF and APNG give their first frame; HEIC only if libheif can decode HEVC. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/apng', 'image/webp', 'image/avif', 'image/heic', 'image/heif', 'image/gif', 'image/tiff']);

/** Videos ffmpeg can read; everything but H.264 in MP4/MOV is transcoded. */
const VIDEO_TYPES = new Set(['video/mp4', 'video/quicktime', 'video/x-m4v', 'video/webm', 'video/matroska', 'video/vnd.avi']);

export async function detectKind(file: string): Promise<{ kind: MediaKind; mime: string; ext: string }> {
  // A missing or unreadable file is our problem, not the upload's: let that error through.
  const type = await fileTypeFromFile(file);
  if (type && IMAGE_TYPES.has(type.mime)) return { kind: 'image', mime: type.mime, ext: type.ext };
  if (type && VIDEO_TYPES.has(type.mime)) return { kind: 'video', mime: type.mime, ext: type.ext };
  throw new MediaRejected('media.reason.unsupportedType');
}
