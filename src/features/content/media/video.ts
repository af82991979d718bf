// Videos for reels, stories and carousels (§2.7): probe, check, transcode, and a poster frame.
export { probeVideo, type VideoProbe } from './video-probe.js';
export { checkVideo, type VideoCheck } from './video-check.js';
export { transcodeVideo, outputSize, outputFps, maxVideoBitRate } from './video-transcode.js';
export { extractFrame } from './video-frame.js';
