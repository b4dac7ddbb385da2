/**
 * Work coordination of the embedded store: one service owns the data folder (store/lock.ts), so it holds every
 * request and is always the elected instance; claiming due work is reading it.
 */
import { hostname } from 'node:os';
import type { RequestStore, StoredRequest, WorkCoordination } from '../../domain/index.js';

export class SoleInstance implements WorkCoordination {
  readonly owner = `${hostname()}:${process.pid}`;
  readonly shared = false;

  constructor(private readonly requests: RequestStore) {}

  claimDue(now: Date, limit: number): Promise<StoredRequest[]> {
    return this.requests.due(now, limit);
  }

  async claim(): Promise<boolean> {
    return true;
  }

  async renew(): Promise<string[]> {
    return [];
  }

  async release(): Promise<void> {}

  async heldElsewhere(): Promise<boolean> {
    return false;
  }

  async leads(): Promise<boolean> {
    return true;
  }
}
