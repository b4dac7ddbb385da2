/** Table output for the CLI (CSV: services/app/inventory.ts, shared with the API), and a closed stdout. */

export function printTable(out: (s: string) => void, rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) return out('(nothing)');
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  out(columns.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  for (const row of cells) out(row.map((v, i) => v.padEnd(widths[i]!)).join('  '));
}

/**
 * `agentcert list | head -1`: once the reader has gone, the rest of the output has nowhere to go, and that is
 * what the user asked for — end quietly with exit 0 instead of an unhandled EPIPE. Node ignores SIGPIPE, so a
 * write to a closed pipe surfaces as an 'error' event on stdout (https://nodejs.org/api/process.html#a-note-on-process-io).
 */
export function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'EBADF' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    throw err;
  });
}
