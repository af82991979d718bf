// "Download my data": a ZIP with one JSON file per kind of data and, for the owner, every media
// file. Rows are read in batches of 1000 and written as they come, and each file is opened only
// when the ZIP reaches it, so a large export never sits in memory. Secrets (password hashes, tokens,
// session data) are never exported; encrypted columns are exported opened.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import type { Clock } from '../../clock.js';
import type { DbHandle } from '../../db/client.js';
import type { Cipher } from '../../db/crypto.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Actor, Origin } from '../users/users.service.js';

type Row = Record<string, unknown>;

interface Part {
  /** File name in the ZIP (data/<name>.json). */
  name: string;
  sql: string;
  params?: unknown[];
  /** Opens encrypted columns and drops what must never leave the server. */
  map?: (row: Row) => Row;
}

/** Every table with data of the business; a new table must be added here (the export test checks). */
export const EXPORTED_TABLES = [
  'users',
  'accounts',
  'profile_snapshots',
  'follower_days',
  'posts',
  'post_media',
  'post_events',
  'hashtag_sets',
  'notifications',
  'ig_media',
  'comments',
  'conversations',
  'messages',
  'insight_days',
  'media_insights',
  'audience',
  'audit_log',
  'deletion_requests',
] as const;

/** Never exported: secrets and machinery (sessions, throttles, settings, webhook ids). */
export const NOT_EXPORTED_TABLES = ['sessions', 'login_throttle', 'settings', 'webhook_events', 'recovery_codes'] as const;

function opened(cipher: Cipher, value: unknown, ref: { table: string; column: string; row: string }): string | null {
  if (typeof value !== 'string' || value === '') return null;
  try {
    return cipher.open(value, ref);
  } catch {
    return null;
  }
}

const BATCH = 1000;

/**
 * A JSON array written batch by batch. Not an open iterator: better-sqlite3 refuses every write on
 * the connection while one is open, and a slow download would hold it open for minutes.
 */
function jsonArray(read: (limit: number, offset: number) => Row[], map: (row: Row) => Row): Readable {
  return Readable.from(
    (function* () {
      yield '[\n';
      let first = true;
      for (let offset = 0; ; offset += BATCH) {
        const rows = read(BATCH, offset);
        for (const row of rows) {
          yield (first ? '' : ',\n') + JSON.stringify(map(row));
          first = false;
        }
        if (rows.length < BATCH) break;
      }
      yield '\n]\n';
    })(),
  );
}

export class ExportService {
  constructor(
    private readonly db: DbHandle,
    private readonly cipher: Cipher,
    private readonly dataDir: string,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  private parts(actor: Actor): Part[] {
    const c = this.cipher;
    const withoutSecrets = (row: Row): Row => {
      const { password_hash: _p, totp_secret: _t, totp_last_step: _s, ...rest } = row;
      return rest;
    };
    if (actor.role !== 'owner') {
      // Someone's own data: their login, what they did, and the posts they wrote.
      return [
        { name: 'me', sql: 'SELECT * FROM users WHERE id = ?', params: [actor.id], map: withoutSecrets },
        { name: 'audit_log', sql: 'SELECT * FROM audit_log WHERE user_id = ? ORDER BY id', params: [actor.id] },
        { name: 'posts', sql: 'SELECT * FROM posts WHERE created_by = ? ORDER BY id', params: [actor.id] },
      ];
    }
    return [
      { name: 'users', sql: 'SELECT * FROM users ORDER BY id', map: withoutSecrets },
      {
        name: 'accounts',
        sql: 'SELECT * FROM accounts ORDER BY id',
        map: (row) => {
          const { token: _token, ...rest } = row;
          return rest;
        },
      },
      { name: 'profile_snapshots', sql: 'SELECT * FROM profile_snapshots ORDER BY id' },
      { name: 'follower_days', sql: 'SELECT * FROM follower_days ORDER BY account_id, day' },
      { name: 'posts', sql: 'SELECT * FROM posts ORDER BY id' },
      {
        name: 'post_media',
        sql: 'SELECT * FROM post_media ORDER BY id',
        // The public token still opens /m/<token> for an unpublished post: it stays on the server.
        map: (row) => {
          const { public_token: _token, ...rest } = row;
          return rest;
        },
      },
      { name: 'post_events', sql: 'SELECT * FROM post_events ORDER BY id' },
      { name: 'hashtag_sets', sql: 'SELECT * FROM hashtag_sets ORDER BY id' },
      { name: 'notifications', sql: 'SELECT * FROM notifications ORDER BY id' },
      { name: 'ig_media', sql: 'SELECT * FROM ig_media ORDER BY id' },
      {
        name: 'comments',
        sql: 'SELECT * FROM comments ORDER BY id',
        map: (row) => {
          const id = String(row['ig_comment_id']);
          return { ...row, text: opened(c, row['text'], { table: 'comments', column: 'text', row: id }), username: opened(c, row['username'], { table: 'comments', column: 'username', row: id }) };
        },
      },
      {
        name: 'conversations',
        sql: 'SELECT * FROM conversations ORDER BY id',
        map: (row) => ({ ...row, participant_username: opened(c, row['participant_username'], { table: 'conversations', column: 'participant_username', row: `${String(row['account_id'])}:${String(row['participant_id'])}` }) }),
      },
      {
        name: 'messages',
        sql: 'SELECT * FROM messages ORDER BY id',
        map: (row) => ({ ...row, text: opened(c, row['text'], { table: 'messages', column: 'text', row: String(row['ig_message_id']) }) }),
      },
      { name: 'insight_days', sql: "SELECT * FROM insight_days WHERE metric != '_checked' ORDER BY account_id, day, metric" },
      { name: 'media_insights', sql: 'SELECT * FROM media_insights ORDER BY account_id, posted_at' },
      { name: 'audience', sql: 'SELECT * FROM audience ORDER BY account_id, taken_on, breakdown, key' },
      { name: 'audit_log', sql: 'SELECT * FROM audit_log ORDER BY id' },
      { name: 'deletion_requests', sql: 'SELECT * FROM deletion_requests ORDER BY received_at' },
    ];
  }

  /** The ZIP as a stream, and its file name; the export is audited. */
  zip(actor: Actor, origin: Origin): { filename: string; stream: NodeJS.ReadableStream } {
    const zip = new yazl.ZipFile();
    const at = new Date(this.clock.now());
    const stamp = at.toISOString().slice(0, 10);
    const parts = this.parts(actor);
    zip.addBuffer(Buffer.from(JSON.stringify({ exportedAt: at.toISOString(), by: actor.username, scope: actor.role === 'owner' ? 'everything' : 'own', files: parts.map((p) => `data/${p.name}.json`) }, null, 2)), 'README.json');
    for (const part of parts) {
      zip.addReadStreamLazy(`data/${part.name}.json`, (done) => {
        try {
          const statement = this.db.sqlite.prepare(`${part.sql} LIMIT ? OFFSET ?`);
          done(null, jsonArray((limit, offset) => statement.all(...(part.params ?? []), limit, offset) as Row[], part.map ?? ((row) => row)));
        } catch (error) {
          done(error instanceof Error ? error : new Error(String(error)), Readable.from([]));
        }
      });
    }
    if (actor.role === 'owner') {
      const root = path.join(this.dataDir, 'media');
      if (fs.existsSync(root)) {
        for (const account of fs.readdirSync(root, { withFileTypes: true })) {
          if (!account.isDirectory() || account.name.startsWith('.')) continue;
          for (const file of fs.readdirSync(path.join(root, account.name), { withFileTypes: true })) {
            if (file.isFile()) zip.addFile(path.join(root, account.name, file.name), `media/${account.name}/${file.name}`, { compress: false });
          }
        }
      }
    }
    zip.end();
    this.audit.record({ kind: 'data.exported', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { scope: actor.role === 'owner' ? 'everything' : 'own' } });
    return { filename: `qanat-${actor.role === 'owner' ? 'all' : actor.username.replace(/[^\w.-]/g, '_')}-${stamp}.zip`, stream: zip.outputStream };
  }
}
