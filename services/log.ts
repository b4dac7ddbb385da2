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
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } }) as unknown as Logger;
  }
  return pino(options, pino.destination({ fd: 2, sync: false })) as unknown as Logger;
}
