/**
 * The logger: pino JSON on stderr, pretty on a TTY (decided by the stream, not NODE_ENV — the fastify demo's
 * rule). Secrets are redacted.
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
  const logger = pretty
    ? pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } })
    : pino(options, pino.destination({ fd: 2, sync: false }));
  return asLogger(logger);
}

/** pino's logger as the port the code uses (domain/ports.ts), children included. */
function asLogger(p: pino.Logger): Logger {
  return {
    info: (obj, msg) => p.info(obj, msg),
    warn: (obj, msg) => p.warn(obj, msg),
    error: (obj, msg) => p.error(obj, msg),
    debug: (obj, msg) => p.debug(obj, msg),
    child: (bindings) => asLogger(p.child(bindings)),
  };
}
