/**
 * The lifecycle's typed state in the PostgreSQL store's `meta` table, under the same keys as SQLite's
 * (store/typed-state.ts), so a store copied over (`agentcert store migrate`) keeps its CRL number and windows.
 */
import type { PgDb } from './database.js';
import { encodeFiles } from '../ca-files-codec.js';
import { STATE_KEYS as KEYS, TypedState } from '../typed-state.js';

export class PgState extends TypedState {
  constructor(private readonly db: PgDb) {
    super();
  }

  protected async get(key: string): Promise<string | null> {
    return (await this.db.one<{ value: string }>(`SELECT value FROM meta WHERE key = $1`, [key]))?.value ?? null;
  }

  protected async set(key: string, value: string): Promise<void> {
    await this.db.query(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  /** One statement: the row lock of the upsert makes two instances taking a number at once get two numbers. */
  async nextCrlNumber(): Promise<bigint> {
    const row = await this.db.one<{ value: string }>(
      `INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT (key) DO UPDATE SET value = (meta.value::numeric + 1)::text RETURNING value`,
      [KEYS.crlNumber],
    );
    return BigInt(row!.value);
  }

  async offerCaFiles(files: Record<string, Buffer>): Promise<Record<string, Buffer>> {
    await this.db.query(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [KEYS.caFiles, encodeFiles(files)]);
    return (await this.caFiles())!;
  }
}
