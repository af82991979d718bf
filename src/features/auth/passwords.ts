// argon2id hashing behind a small concurrency limit, so a burst of sign-ins cannot
// exhaust memory or starve the event loop's thread pool.
import argon2 from 'argon2';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 512;

export interface Argon2Params {
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
  maxConcurrent: number;
}

class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

export class PasswordHasher {
  private readonly gate: Semaphore;
  private readonly options: argon2.HashOptions & { raw?: false };
  private dummyHash: Promise<string> | undefined;

  constructor(params: Argon2Params) {
    this.gate = new Semaphore(params.maxConcurrent);
    this.options = { type: argon2.argon2id, memoryCost: params.memoryKiB, timeCost: params.timeCost, parallelism: params.parallelism };
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() => argon2.hash(password.normalize('NFC'), this.options));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    return this.gate.run(async () => {
      try {
        return await argon2.verify(hash, password.normalize('NFC'));
      } catch {
        return false;
      }
    });
  }

  /** Spends the same work as a real check, so an unknown username answers as slowly as a wrong password. */
  async burn(password: string): Promise<void> {
    this.dummyHash ??= this.hash('qanat-timing-equaliser');
    await this.verify(await this.dummyHash, password);
  }

  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }
}
