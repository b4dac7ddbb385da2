/** A logger that keeps parsed records in memory (the pino `sink()` idea): tests assert on records. */
import type { Logger } from '../../services/domain/index.js';

export interface LogRecord {
  level: 'info' | 'warn' | 'error' | 'debug';
  msg: string | undefined;
  [k: string]: unknown;
}

export function recordingLogger(records: LogRecord[] = [], bindings: Record<string, unknown> = {}): Logger & { records: LogRecord[] } {
  const at = (level: LogRecord['level']) => (obj: object, msg?: string) => void records.push({ ...bindings, ...obj, level, msg });
  return {
    records,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    child: (b) => recordingLogger(records, { ...bindings, ...b }),
  };
}
