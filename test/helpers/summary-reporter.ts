/**
 * Prints one plain closing line, `N passed, N failed` (`, N skipped` when any), after vitest's own summary, so CI
 * can read the result without parsing vitest's coloured output. Before it, each system tool that is not installed
 * (test/helpers/system-tools.ts) is named once, with its Debian package and the number of tests it skipped.
 */
import type { Reporter, TestModule } from 'vitest/node';
import { missingToolLine, SYSTEM_TOOLS, toolLabel, type SystemTool } from './system-tools.js';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const notes = new Map<string, number>();
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const r = t.result();
        if (r.state === 'passed') passed++;
        else if (r.state === 'failed') failed++;
        else {
          skipped++;
          if (r.state === 'skipped' && r.note) notes.set(r.note, (notes.get(r.note) ?? 0) + 1);
        }
      }
    }
    for (const name of Object.keys(SYSTEM_TOOLS) as SystemTool[]) {
      let n = 0;
      for (const [note, count] of notes) if (note.includes(toolLabel(name))) n += count;
      if (n > 0) process.stdout.write(`\n${missingToolLine(name, n)}`);
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
