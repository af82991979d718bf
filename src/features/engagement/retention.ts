// The privacy policy's promise for the inbox cache: comments and messages are kept at most 24 hours
// unless Instagram confirmed them again (webhook or sync) in that time.
export const INBOX_RETENTION_MS = 24 * 3_600_000;
