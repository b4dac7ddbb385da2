/**
 * The README's generated tables: the Event Log events (from the event registry) and the management pack's
 * discoveries, monitors, rules, tasks and overrides (from the same parts the MP is built of). `npm run build:mp`
 * writes them between their markers; a test checks the README holds exactly these.
 */
import { AgentcertError, EVENT_LOG_NAME, EVENT_SOURCE, EVENTS } from '../domain/index.js';
import type { MpParts, MpRow } from './parts.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function eventTable(): string {
  const use = (e: (typeof EVENTS)[number]) => (e.use.kind === 'monitor' ? 'unit monitor' : e.use.kind === 'alert' ? `alert rule (${e.use.severity})` : '—');
  return [
    `Source \`${EVENT_SOURCE}\`, log \`${EVENT_LOG_NAME}\`. %1 is the message; the parameters are %2, %3, … in this order.`,
    '',
    table(['Event ID', 'Level', 'Name', 'Parameters', 'Written when', 'In the MP'], EVENTS.map((e) => [String(e.id), e.levels.join(' / '), e.name, e.params.map((p, i) => `%${i + 2} ${p}`).join(', '), e.when, use(e)])),
  ].join('\n');
}

const rowsOf = (p: MpParts, t: MpRow['table']) => p.rows.filter((r) => r.table === t).map((r) => r.cells);

export function mpTables(p: MpParts): string {
  return [
    '**Discoveries**',
    '',
    table(['Class', 'Target', 'Found by', 'Properties'], rowsOf(p, 'discoveries')),
    '',
    '**Monitors** (all roll up to Availability; the agentcert event monitors through the aggregate "agentcert pipeline")',
    '',
    table(['Monitor', 'Target', 'Watches', 'States', 'Alert'], rowsOf(p, 'monitors')),
    '',
    '**Rules**',
    '',
    table(['Rule', 'Target', 'Event', 'Alert'], rowsOf(p, 'rules')),
    '',
    '**Tasks**',
    '',
    table(['Task', 'Target', 'Runs'], rowsOf(p, 'tasks')),
    '',
    '**Overrides**',
    '',
    table(['Element', 'Parameter', 'Default', 'Meaning'], rowsOf(p, 'overrides')),
  ].join('\n');
}

export const README_MARKERS = {
  events: ['<!-- generated: event-log-table (npm run build:mp) -->', '<!-- end: event-log-table -->'],
  mp: ['<!-- generated: management-pack-tables (npm run build:mp) -->', '<!-- end: management-pack-tables -->'],
} as const;

/** The README with both generated blocks replaced; throws when a marker is missing. */
export function withGeneratedTables(readme: string, p: MpParts): string {
  let out = readme;
  for (const [key, body] of [['events', eventTable()], ['mp', mpTables(p)]] as const) {
    const [start, end] = README_MARKERS[key];
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new AgentcertError('AC_INTERNAL', `README.md lacks the markers ${start} … ${end}`);
    out = `${out.slice(0, i + start.length)}\n${body}\n${out.slice(j)}`;
  }
  return out;
}
