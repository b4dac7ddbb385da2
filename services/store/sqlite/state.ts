/** The lifecycle's typed state in the SQLite store's `meta` table (store/typed-state.ts holds the keys and conversions). */
import type { SqliteDb } from './database.js';
import { encodeFiles } from '../ca-files-codec.js';
import { STATE_KEYS as KEYS, TypedState } from '../typed-state.js';

export class SqliteState extends TypedState {
  constructor(private readonly s: SqliteDb) {
    super();
  }

  private getSync(key: string): string | null {
    return (this.s.stmt(`SELECT value FROM meta WHERE key = ?`).get(key) as { value: string } | undefined)?.value ?? null;
  }

  private setSync(key: string, value: string): void {
    this.s.stmt(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  protected get(key: string): Promise<string | null> {
    return this.s.run(() => this.getSync(key));
  }

  protected set(key: string, value: string): Promise<void> {
    return this.s.run(() => this.setSync(key, value));
  }

  nextCrlNumber(): Promise<bigint> {
    return this.s.run(() =>
      this.s.db
        .transaction(() => {
          const next = BigInt(this.getSync(KEYS.crlNumber) ?? '0') + 1n;
          this.setSync(KEYS.crlNumber, next.toString());
          return next;
        })
        .immediate(),
    );
  }

  async offerCaFiles(files: Record<string, Buffer>): Promise<Record<string, Buffer>> {
    await this.s.run(() => this.s.stmt(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`).run(KEYS.caFiles, encodeFiles(files)));
    return (await this.caFiles())!;
  }
}
