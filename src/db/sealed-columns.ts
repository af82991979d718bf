// Every encrypted column, with the SQL that rebuilds the row part of its additional data
// (see crypto.ts ColumnRef). Key rotation walks this list; a test fails when a sealed value
// lives in a column that is not here.
export interface SealedColumn {
  table: string;
  column: string;
  /** SQL expression for ColumnRef.row, or null when the value is bound to its column only. */
  rowKey: string | null;
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'settings', column: 'value', rowKey: null },
  { table: 'sessions', column: 'data', rowKey: 'sid_hash' },
  { table: 'users', column: 'totp_secret', rowKey: 'CAST(id AS TEXT)' },
  { table: 'accounts', column: 'token', rowKey: 'ig_user_id' },
  { table: 'comments', column: 'text', rowKey: 'ig_comment_id' },
  { table: 'comments', column: 'username', rowKey: 'ig_comment_id' },
  { table: 'conversations', column: 'participant_username', rowKey: "CAST(account_id AS TEXT) || ':' || participant_id" },
  { table: 'messages', column: 'text', rowKey: 'ig_message_id' },
  { table: 'webhook_events', column: 'payload', rowKey: 'id' },
];

/** Stored values start with the format version and the key id: v1:<keyId>:… */
export const SEALED_PREFIX = 'v1:';
