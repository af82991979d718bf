// Results are written beside their destination under a temporary name and renamed into place,
// so a reader never sees half a file and a failure leaves nothing behind but what we delete.
import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/** A fresh name in dest's folder (same file system, so rename is atomic). */
export const tempPathFor = (dest: string): string => `${dest}.${randomUUID()}.tmp`;

/** Deletes a temporary file; a file that was never created is not an error. */
export const removeTemp = (file: string): Promise<void> => rm(file, { force: true });

export async function writeAtomically(dest: string, bytes: Buffer): Promise<void> {
  const temp = tempPathFor(dest);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, dest);
  } catch (error) {
    await removeTemp(temp);
    throw error;
  }
}
