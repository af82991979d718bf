/** 820 KB, 3.4 MB: a small backup does not read as "0.0 MB". */
export function sizeText(bytes: number): string {
  if (bytes === 0) return '0 KB';
  return bytes < 1_048_576 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1_048_576).toFixed(1)} MB`;
}
