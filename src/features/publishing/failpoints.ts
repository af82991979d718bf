// Crash injection for the exactly-once tests: with QANAT_FAILPOINT=<name>[@<n>] the process kills
// itself (SIGKILL, no clean-up, like a power cut) the n-th time it reaches <name>. Unset in
// production, where failpoint() does nothing.

export const FAILPOINTS = [
  'after-claim',
  'after-child-container',
  'after-container',
  'after-ready',
  'before-publish-call',
  'after-publish-call',
  'after-published',
  'during-first-comment',
  'after-first-comment-call',
] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

let armed: { name: string; remaining: number } | undefined;

/** From config: "after-publish-call@2" kills at the second time that point is reached. */
export function armFailpoint(spec: string | undefined): void {
  if (!spec) return;
  const [name = '', count = '1'] = spec.split('@');
  armed = { name, remaining: Math.max(1, Number(count) || 1) };
}

export function failpoint(name: Failpoint): void {
  if (!armed || armed.name !== name) return;
  armed.remaining -= 1;
  if (armed.remaining === 0) process.kill(process.pid, 'SIGKILL');
}
