import { describe, expect, it } from 'vitest';
import { bar, progressLine, startBacklogProgress } from '../../services/app/backlog-progress.js';

function fakeClock(start = Date.parse('2026-12-02T01:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}
function sink(isTTY: boolean) {
  const out: string[] = [];
  return { isTTY, write: (s: string) => void out.push(s), out };
}

describe('serve --once progress', () => {
  it('shows done/total, rate, ETA and counts by outcome', () => {
    expect(progressLine({ done: 250, total: 1000, elapsedMs: 10_000, counts: { issued: 240, held: 3, rejected: 7, waiting: 0, failed: 0 } })).toBe('250/1000  25.0/s  ETA 30s  issued 240, held 3, rejected 7');
    expect(progressLine({ done: 10, total: 5000, elapsedMs: 10_000, counts: { issued: 10, held: 0, rejected: 0, waiting: 0, failed: 0 } })).toBe('10/5000  1.0/s  ETA 1h23m  issued 10');
    expect(bar(5, 10, 10)).toBe('[#####-----]');
  });

  it('redraws one bar in place on a terminal, at most every 200 ms and on the last unit', () => {
    const clock = fakeClock();
    const s = sink(true);
    const p = startBacklogProgress({ total: 3, sink: s, clock });
    expect(s.out).toEqual([`\r\x1b[2K${bar(0, 3)} 0/3  0.0/s  ETA -  issued 0`]);
    clock.advance(100);
    p.done('packaged', 'a');
    expect(s.out).toHaveLength(1); // too soon to redraw
    clock.advance(150);
    p.done('awaiting_approval', 'b');
    expect(s.out[1]).toBe(`\r\x1b[2K${bar(2, 3)} 2/3  8.0/s  ETA 0s  issued 1, held 1`);
    clock.advance(10);
    p.done('rejected', 'c');
    expect(s.out[2]).toContain('3/3  11.5/s  done  issued 1, held 1, rejected 1');
    p.finish();
    expect(s.out.at(-1)).toBe('\n');
  });

  it('off a terminal writes a plain line every few seconds and a closing line, and counts a request once', () => {
    const clock = fakeClock();
    const s = sink(false);
    const p = startBacklogProgress({ total: 4, sink: s, clock, lineEveryMs: 5000 });
    expect(s.out).toEqual([]);
    p.done('checked', 'a'); // intake saw it mid-way…
    clock.advance(5000);
    p.done('packaged', 'a'); // …and the due-request loop finished it: still one request
    expect(s.out).toEqual(['progress: 1/4  0.2/s  ETA 15s  issued 1\n']);
    p.done('rejected', 'b');
    p.done(null, null);
    p.finish();
    expect(s.out.at(-1)).toBe('progress: 3/4  0.6/s  ETA 2s  issued 1, rejected 1, waiting 1 (finished in 5s)\n');
  });

  it('prints nothing for an empty backlog', () => {
    const s = sink(false);
    startBacklogProgress({ total: 0, sink: s, clock: fakeClock() }).finish();
    expect(s.out).toEqual([]);
  });
});
