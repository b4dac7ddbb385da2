#!/usr/bin/env node
/**
 * The `agentcert` command: a thin adapter over the same application functions as the API (docs/contract.md "CLI").
 * Human output on stdout, logs on stderr; `--json` prints one JSON document on stdout and nothing else there.
 */
import { Command, CommanderError } from 'commander';
import { ERRORS, isAgentcertError, AgentcertError } from '../services/domain/index.js';
import { registerCommands } from './commands.js';
import { endQuietlyWhenStdoutCloses } from './output.js';

endQuietlyWhenStdoutCloses();

const program = new Command();
program
  .name('agentcert')
  .description('Certificates for SCOM agents outside the management group\'s forest')
  .option('--config <file>', 'config file (JSON or YAML); also AGENTCERT_CONFIG')
  .option('--share <dir>', 'share root (overrides share.root; also AGENTCERT_SHARE)')
  .option('--data <dir>', 'data directory (overrides data.dir; also AGENTCERT_DATA)')
  // Subcommands inherit these settings (they are created after): their help lists the global options too.
  .configureHelp({ showGlobalOptions: true })
  .exitOverride()
  // Commander's own "error: …" line is replaced by the coded one below (every error has a code).
  .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined });

registerCommands(program);

function printError(err: AgentcertError): void {
  const spec = ERRORS[err.code];
  process.stderr.write(`error ${err.code}: ${err.message}\n`);
  for (const d of err.details) process.stderr.write(`  - ${d}\n`);
  process.stderr.write(`remediation: ${spec.remediation}\n`);
}

/** Commander's usage errors as AC_USAGE (exit 2); help and --version asked for are not errors. */
function usageError(err: CommanderError): AgentcertError | null {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return null;
  // `agentcert` alone or `agentcert ca`: commander has printed the help on stderr.
  const message = err.code === 'commander.help' ? 'a command is needed (the help above lists them)' : err.message.replace(/^error: /, '');
  return new AgentcertError('AC_USAGE', message);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    const usage = usageError(err);
    if (!usage) process.exit(0);
    printError(usage);
    process.exit(usage.spec.exitCode);
  }
  if (isAgentcertError(err)) {
    printError(err);
    process.exit(err.spec.exitCode);
  }
  process.stderr.write(`error AC_INTERNAL: ${(err as Error)?.stack ?? String(err)}\nremediation: ${ERRORS.AC_INTERNAL.remediation}\n`);
  process.exit(1);
}
