#!/usr/bin/env node
/**
 * The `agentcert` command: a thin adapter over the same application functions as the API (docs/contract.md "CLI").
 * Human output on stdout, logs on stderr; `--json` prints one JSON document on stdout and nothing else there.
 */
import { Command, CommanderError } from 'commander';
import { ERRORS, isAgentcertError, AgentcertError } from '../services/domain/index.js';
import { registerCommands } from './commands.js';

const program = new Command();
program
  .name('agentcert')
  .description('Certificates for SCOM agents outside the management group\'s forest')
  .option('--config <file>', 'config file (JSON or YAML); also AGENTCERT_CONFIG')
  .option('--share <dir>', 'share root (overrides share.root; also AGENTCERT_SHARE)')
  .option('--data <dir>', 'data directory (overrides data.dir; also AGENTCERT_DATA)')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerCommands(program);

function printError(err: AgentcertError): void {
  const spec = ERRORS[err.code];
  process.stderr.write(`error ${err.code}: ${err.message}\n`);
  for (const d of err.details) process.stderr.write(`  - ${d}\n`);
  process.stderr.write(`remediation: ${spec.remediation}\n`);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) process.exit(0);
    process.stderr.write(`remediation: ${ERRORS.AC_USAGE.remediation}\n`);
    process.exit(ERRORS.AC_USAGE.exitCode);
  }
  if (isAgentcertError(err)) {
    printError(err);
    process.exit(err.spec.exitCode);
  }
  process.stderr.write(`error AC_INTERNAL: ${(err as Error)?.stack ?? String(err)}\nremediation: ${ERRORS.AC_INTERNAL.remediation}\n`);
  process.exit(1);
}
