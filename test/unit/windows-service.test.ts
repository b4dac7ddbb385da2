/**
 * The Windows service as rendered: the WinSW XML parses and carries every value exactly (hostile account names
 * and paths escaped, or refused where Windows could not hold them), the host script parses as PowerShell with
 * the values intact, and the plans hold the commands in order.
 */
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  describePlan, escapeXml, installHostScript, installPlan, parseAccount, renderServiceXml, serviceArguments, SERVICE_REGISTRY_VALUES, uninstallHostScript, uninstallPlan,
  type ServiceDefinition, type ServiceRegistryValues,
} from '../../services/windows-service/index.js';
import { parsePowerShell } from '../helpers/powershell-parse.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (n) => n === 'onfailure' || n === 'env' });

function definition(over: Partial<ServiceDefinition> = {}): ServiceDefinition {
  return {
    id: 'agentcert',
    displayName: 'agentcert',
    description: 'Certificates & <packages> for "SCOM" agents',
    nodePath: 'C:\\Program Files\\nodejs\\node.exe',
    cliPath: 'C:\\agentcert & co\\dist\\cli\\agentcert.js',
    configPath: "C:\\ProgramData\\O'Brien & co; $(x) [1]\\agentcert.yaml",
    dataDir: 'C:\\ProgramData\\agentcert\\data',
    account: parseAccount('CONTOSO\\agentcert$', null),
    env: { NODE_ENV: 'production', AGENTCERT_CONFIG: 'C:\\ProgramData\\agentcert\\a&b.yaml' },
    ...over,
  };
}

const parse = (xml: string) => (parser.parse(xml) as { service: Record<string, unknown> }).service;

describe('WinSW service definition', () => {
  it('parses and carries every value exactly: node.exe, the CLI with serve --config <fixed path>, gMSA, start, recovery, logs, env', () => {
    const d = definition();
    const s = parse(renderServiceXml(d));
    expect(s['id']).toBe('agentcert');
    expect(s['description']).toBe('Certificates & <packages> for "SCOM" agents');
    expect(s['executable']).toBe('C:\\Program Files\\nodejs\\node.exe');
    expect(s['arguments']).toBe(`"C:\\agentcert & co\\dist\\cli\\agentcert.js" serve --config "C:\\ProgramData\\O'Brien & co; $(x) [1]\\agentcert.yaml"`);
    expect(s['serviceaccount']).toEqual({ domain: 'CONTOSO', user: 'agentcert$', allowservicelogon: 'true' });
    expect([s['startmode'], s['delayedAutoStart']]).toEqual(['Automatic', 'true']);
    expect((s['onfailure'] as { '@action': string; '@delay': string }[]).map((f) => [f['@action'], f['@delay']])).toEqual([['restart', '10 sec'], ['restart', '60 sec'], ['restart', '300 sec']]);
    expect(s['resetfailure']).toBe('1 day');
    expect(s['logpath']).toBe('C:\\ProgramData\\agentcert\\data\\logs');
    expect(s['log']).toEqual({ '@mode': 'roll-by-size', sizeThreshold: '10240', keepFiles: '8' });
    expect((s['env'] as { '@name': string; '@value': string }[]).map((e) => [e['@name'], e['@value']])).toEqual([['NODE_ENV', 'production'], ['AGENTCERT_CONFIG', 'C:\\ProgramData\\agentcert\\a&b.yaml']]);
  });

  it('writes a named account\'s password only into the install-time copy, and no service account for LocalSystem', () => {
    const d = definition({ account: parseAccount(".\\svc-agentcert", `pa<ss>'&"word`) });
    expect(parse(renderServiceXml(d, { withPassword: true }))['serviceaccount']).toEqual({ domain: '.', user: 'svc-agentcert', password: `pa<ss>'&"word`, allowservicelogon: 'true' });
    expect(renderServiceXml(d)).not.toContain('pa&lt;ss');
    expect(parse(renderServiceXml(d))['serviceaccount']).toEqual({ domain: '.', user: 'svc-agentcert', allowservicelogon: 'true' });
    expect(parse(renderServiceXml(definition({ account: parseAccount('LocalSystem', null) })))['serviceaccount']).toBeUndefined();
  });

  it('refuses account names and paths Windows could not hold, and control characters in any value', () => {
    for (const bad of ['CONTOSO\\agent"cert$', 'CONTOSO\\a<b>$', 'CONTOSO\\a;b', 'agentcert', 'A\\B\\C', 'CONTOSO\\x\ny']) expect(() => parseAccount(bad, null), bad).toThrow(/--account/);
    expect(() => renderServiceXml(definition({ nodePath: 'C:\\node"x.exe' }))).toThrow(/not a path the service can use/);
    expect(() => serviceArguments({ cliPath: 'C:\\dist\\agentcert.js', configPath: 'C:\\%TEMP%\\a.yaml' })).toThrow(/not a path the service can use/);
    expect(() => serviceArguments({ cliPath: 'C:\\dist\\', configPath: 'C:\\a.yaml' })).toThrow(/must not end in a path separator/);
    expect(() => renderServiceXml(definition({ env: { X: 'a\u0001b' } }))).toThrow(/control character/);
    expect(() => renderServiceXml(definition({ env: { 'BAD NAME': 'x' } }))).toThrow(/environment variable name/);
    expect(() => renderServiceXml(definition({ id: 'agent cert' }))).toThrow(/service name/);
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

const registry: ServiceRegistryValues = {
  Version: '0.1.0', ServiceName: 'agentcert', CaBackend: 'adcs', SharePath: "\\\\fs01\\agent'cert $(evil) `n", ConfigPath: 'C:\\ProgramData\\agentcert\\agentcert.yaml',
  NodePath: 'C:\\Program Files\\nodejs\\node.exe', CliPath: 'C:\\agentcert\\dist\\cli\\agentcert.js', DataDir: 'C:\\ProgramData\\agentcert\\data', LogDir: 'C:\\ProgramData\\agentcert\\data\\logs', ApiUrl: 'http://127.0.0.1:8470',
};

describe('the install host script', () => {
  it('parses as PowerShell, registers the event source and writes every registry value as a literal', async () => {
    const script = installHostScript(registry);
    expect((await parsePowerShell(script)).errors).toEqual([]);
    expect(script).toContain("New-EventLog -LogName 'Application' -Source $Source");
    expect(script).toContain("$Key = 'HKLM:\\SOFTWARE\\agentcert\\Service'");
    expect(script).toContain("'SharePath' = '\\\\fs01\\agent''cert $(evil) `n'");
    for (const name of SERVICE_REGISTRY_VALUES) expect(script).toContain(`'${name}' = `);
    expect((await parsePowerShell(uninstallHostScript())).errors).toEqual([]);
  });

  it('plans install as copy, copy, write, winsw install, sc delayed-auto, host script — and a password-free XML after', () => {
    const paths = { winswSource: 'C:\\agentcert\\node_modules\\node-windows\\bin\\winsw\\winsw.exe', powershellPath: 'powershell.exe', scPath: 'sc.exe' };
    const steps = installPlan(definition({ account: parseAccount('CONTOSO\\svc', 'secret') }), paths, registry);
    expect(steps.map((s) => (s.kind === 'run' ? `${s.file} ${s.args.slice(0, 4).join(' ')}` : `${s.kind} ${'file' in s ? s.file : s.to}`))).toEqual([
      'copy C:\\ProgramData\\agentcert\\data\\service\\agentcert-service.exe',
      'copy C:\\ProgramData\\agentcert\\data\\service\\agentcert-service.exe.config',
      'write C:\\ProgramData\\agentcert\\data\\service\\agentcert-service.xml',
      'C:\\ProgramData\\agentcert\\data\\service\\agentcert-service.exe install',
      'sc.exe config agentcert start= delayed-auto',
      'powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass',
      'write C:\\ProgramData\\agentcert\\data\\service\\agentcert-service.xml',
    ]);
    const last = steps.at(-1)!;
    expect(last.kind === 'write' && last.content.includes('<password>')).toBe(false);
    const text = describePlan(steps);
    expect(text).toContain('sc.exe config agentcert start= delayed-auto');
    expect(text).not.toMatch(/-EncodedCommand [A-Za-z0-9+/=]{20}/); // the script is shown, not its base64
    expect(uninstallPlan({ id: 'agentcert', dataDir: 'C:\\d' }, paths).map((s) => s.kind)).toEqual(['run', 'run', 'run', 'remove', 'remove', 'remove']);
  });
});
