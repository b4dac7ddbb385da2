/**
 * A budget for the service's JavaScript heap. V8 lets the old generation grow to a multiple of what survived the
 * last full collection before it collects again; in a long burst the objects of requests in flight are promoted
 * faster than that (with the Buffers they hold outside the heap), and the service's peak RSS grew with the length
 * of the run: 216 MB after 1,000 requests, 297 MB after 10,000 and 479 MB after 100,000 (bulk bench,
 * `serve --once`) while less than 70 MB was live. So every second the heap is checked, and a full collection is
 * asked for once it passes the budget. V8's flags that bound the heap only act when given on node's command line
 * (https://nodejs.org/api/cli.html#--max-old-space-sizesize-in-mib), which a service started as
 * `agentcert serve` does not control; `--expose-gc` can be set while running (https://nodejs.org/api/v8.html
 * #v8setflagsfromstringflags) and the collector is then taken from a new context.
 */
import { runInNewContext } from 'node:vm';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * A full collection is asked for once the heap in use passes BUDGET_MB, and GROWTH_MB above what was in use just
 * after the last one asked for (what is live): a large live set is not collected again every second.
 */
const BUDGET_MB = 64;
const GROWTH_MB = 32;

type Collect = (o?: { type?: 'major'; execution?: 'sync' | 'async' }) => void;

export function startHeapBudget(budgetMb = BUDGET_MB, growthMb = GROWTH_MB): { stop(): void } {
  let collect: Collect | null = null;
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  } catch {
    return { stop: () => undefined }; // not available here: V8's own schedule stands
  }
  const MB = 1048576;
  let threshold = budgetMb * MB;
  let collected = false;
  const timer = setInterval(() => {
    const used = getHeapStatistics().used_heap_size;
    if (collected) (collected = false), (threshold = Math.max(budgetMb * MB, used + growthMb * MB));
    else if (used > threshold) (collect!({ type: 'major', execution: 'async' }), (collected = true));
  }, 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
