// The setup most simulator-backed tests share: a fresh simulator for every test, its seeded
// account connected with a long-lived token, and (for publishing) one media server per file.
import type { SimulatorInput } from '../../src/sandbox/simulator.js';
import { startMediaServer, type MediaServer } from './media-fixtures.js';
import { longLivedToken, startSimulator, type SimHarness } from './simulator.js';

export interface SimulatorContext {
  /** The simulator of the running test (filled in by beforeEach, replaced by restart). */
  h: SimHarness;
  /** A long-lived token for the seeded primary account. */
  token: string;
  /** The seeded primary account's Instagram id. */
  igId: string;
  /** Closes the running simulator and starts one configured with `input` in its place. */
  restart(input?: Partial<SimulatorInput>): Promise<void>;
}

export interface SimulatorWithMedia extends SimulatorContext {
  /** The media server of the file (filled in by before). */
  media: MediaServer;
}

/**
 * Registers the mocha hooks of the enclosing describe and returns the object they fill in:
 * read its properties inside tests and hooks, never when the describe is being defined.
 */
export function useSimulator(options: { media: true }): SimulatorWithMedia;
export function useSimulator(options?: { media?: false }): SimulatorContext;
export function useSimulator(options: { media?: boolean } = {}): SimulatorContext | SimulatorWithMedia {
  const start = async (input: Partial<SimulatorInput> = {}): Promise<void> => {
    ctx.h = await startSimulator(input);
    ctx.token = await longLivedToken(ctx.h);
    ctx.igId = ctx.h.sim.state.primaryAccount().igId;
  };
  const ctx = {
    restart: async (input: Partial<SimulatorInput> = {}) => {
      await ctx.h.close();
      await start(input);
    },
  } as SimulatorWithMedia;

  if (options.media) {
    before(async function () {
      this.timeout(20_000);
      ctx.media = await startMediaServer();
    });
    after(() => ctx.media.close());
  }
  beforeEach(() => start());
  afterEach(() => ctx.h.close());
  return ctx;
}
