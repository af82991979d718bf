// Every INSERT/UPDATE … RETURNING goes through `.all()` and this, never `.get()`.
// better-sqlite3's `.get()` steps the statement once and then resets it. Outside a transaction the
// commit happens in that reset, and an error there (SQLITE_FULL on a full disk) is dropped: the row
// is reported as written when it was not. `.all()` steps to the end, so a failed commit throws.
// test/faults/disk-full.test.ts found this and keeps it fixed.

/** The single row a RETURNING statement gave back. */
export function returnedRow<T>(rows: T[]): T {
  const [row] = rows;
  if (row === undefined) throw new Error('the statement returned no row');
  return row;
}
