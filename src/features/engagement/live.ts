// In-process news for open inbox pages: "something changed for this account". The pages ask for
// the fresh HTML themselves, so nothing personal travels on this channel.
import { EventEmitter } from 'node:events';

export type InboxTopic = 'comments' | 'messages';

export interface InboxChange {
  accountId: number;
  topic: InboxTopic;
}

export class InboxLive {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open page; a busy team may keep many tabs open.
    this.emitter.setMaxListeners(0);
  }

  changed(accountId: number, topic: InboxTopic): void {
    this.emitter.emit('change', { accountId, topic } satisfies InboxChange);
  }

  /** Returns the function that stops listening. */
  subscribe(listener: (change: InboxChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }

  /** Every listener stops (shutdown): open streams end so the server can close. */
  closeAll(): void {
    this.emitter.emit('close');
    this.emitter.removeAllListeners();
  }

  onClose(listener: () => void): () => void {
    this.emitter.on('close', listener);
    return () => this.emitter.off('close', listener);
  }
}
