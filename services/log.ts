/**
 * The logger: pino JSON on stderr, pretty on a TTY (decided by the stream, not NODE_ENV — the fastify demo's
 * rule). Secrets are redacted.
 *
 * The JSON lines are written in blocks: pino's destination (sonic-boom) gathers at least BLOCK bytes before it
 * writes, and a timer writes whatever is left every second, so a burst of thousands of requests makes one write
 * for many lines instead of one each. Warnings and errors are written at once, and pino writes what is left when
 * the process exits; only a SIGKILL can lose the last second of info lines (the audit trail is in the store either
 * way). README "Configuration" (`log.level`).
 */
import pino from 'pino';
import type { Logger } from './domain/index.js';

export function createLogger(level: string, o: { pretty?: boolean } = {}): Logger {
  const pretty = o.pretty ?? process.stderr.isTTY === true;
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'agentcert' },
    redact: { paths: ['passphrase', '*.passphrase', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
  };
  if (pretty) {
    return asLogger(pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } }), () => undefined);
  }
  const destination = pino.destination({ fd: 2, sync: false, minLength: BLOCK, periodicFlush: 1000 });
  return asLogger(pino(options, destination), () => flush(destination));
}

/** Bytes gathered before a write (sonic-boom's minLength; it must stay below its 16 KB maxWrite). */
const BLOCK = 8192;

function flush(d: ReturnType<typeof pino.destination>): void {
  // flush() on a destroyed stream throws; what is buffered is written at exit anyway.
  try {
    d.flush();
  } catch {
    /* closed */
  }
}

/** pino's logger as the port the code uses (domain/ports.ts), children included; warnings and errors go out at once. */
function asLogger(p: pino.Logger, now: () => void): Logger {
  return {
    info: (obj, msg) => p.info(obj, msg),
    warn: (obj, msg) => (p.warn(obj, msg), now()),
    error: (obj, msg) => (p.error(obj, msg), now()),
    debug: (obj, msg) => p.debug(obj, msg),
    child: (bindings) => asLogger(p.child(bindings), now),
  };
}
