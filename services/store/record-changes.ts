/**
 * What a request row becomes after a transition or a note: the same for every store, so both write the same
 * fields the same way (store/sqlite/requests.ts, store/postgres/requests.ts).
 */
import type { NoteRecord, StoredRequest, TransitionRecord } from '../domain/index.js';

/** A transition resets the retry counter and schedule unless it sets them, and clears the republish flag. */
export function afterTransition(cur: StoredRequest, t: TransitionRecord, now: string): StoredRequest {
  return {
    ...cur,
    state: t.to,
    caRequestId: t.caRequestId !== undefined ? t.caRequestId : cur.caRequestId,
    findings: t.findings ?? cur.findings,
    attempts: t.attempts ?? 0,
    nextAttemptAt: t.nextAttemptAt ?? null,
    republish: t.republish === true,
    updatedAt: now,
  };
}

/** A note keeps the state and changes only what it names. */
export function afterNote(cur: StoredRequest, e: NoteRecord, now: string): StoredRequest {
  return {
    ...cur,
    attempts: e.attempts ?? cur.attempts,
    nextAttemptAt: e.nextAttemptAt !== undefined ? e.nextAttemptAt : cur.nextAttemptAt,
    republish: e.republish ?? cur.republish,
    updatedAt: now,
  };
}
