import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { SqliteStore, acquireDataLock } from '../../services/store/index.js';
import { AgentcertError } from '../../services/domain/index.js';
import { makeTempEnv } from '../helpers/temp.js';
import { storeSuite } from '../helpers/store-suite.js';

storeSuite('SQLite', () => {
  const env = makeTempEnv();
  const file = path.join(env.data, 'agentcert.db');
  return {
    create: async (clock) => new SqliteStore(file, clock),
    reopen: async (clock) => new SqliteStore(file, clock),
    cleanup: async () => env.cleanup(),
  };
});

describe('data directory lock', () => {
  it('lets one service hold a data directory and takes over a lock left by a dead process', () => {
    const env = makeTempEnv();
    try {
      mkdirSync(env.data, { recursive: true });
      const release = acquireDataLock(env.data);
      writeFileSync(path.join(env.data, 'agentcert.lock'), '1'); // pid 1 is alive: another service
      expect(() => acquireDataLock(env.data)).toThrow(AgentcertError);
      writeFileSync(path.join(env.data, 'agentcert.lock'), '999999999'); // no such process
      const again = acquireDataLock(env.data);
      again();
      release();
    } finally {
      env.cleanup();
    }
  });
});
