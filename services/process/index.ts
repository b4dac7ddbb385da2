/**
 * Process adapter: the only module that spawns child processes (docs/architecture.md "Where things live").
 */
export { createExecaRunner } from './execa-runner.js';
export { decodeOutput, looksLikeUtf16le } from './output-text.js';
export { runJournaled, recoverJournaled, isProcessAlive } from './journaled-run.js';
export { startLongLived, type LongLivedChild, type LongLivedOptions } from './long-lived.js';
