/**
 * The msiexec command line that installs the SCOM agent from MOMAgent.msi for certificate authentication (README
 * "Management group"). The service renders the properties into install-certificate.ps1; the installer puts the
 * MSI and its log in front, and checks that the manifest gives the same properties.
 *
 * The properties are the MSI's public ones (Microsoft Learn, "Install Windows agent manually using
 * MOMAgent.msi", https://learn.microsoft.com/system-center/scom/manage-deploy-windows-agent-manually):
 * USE_SETTINGS_FROM_AD=0 and USE_MANUALLY_SPECIFIED_SETTINGS=1 (the management group is given here, not read
 * from Active Directory, which a DMZ server cannot reach), MANAGEMENT_GROUP, MANAGEMENT_SERVER_DNS (the assigned
 * primary), SECURE_PORT (its port), ACTIONS_USE_COMPUTER_ACCOUNT=1 (Local System as the action account) and
 * AcceptEndUserLicenseAgreement=1 (required for a silent install).
 */
import type { ManifestManagementGroup } from './manifest.js';

/**
 * msiexec parses its own command line: PROPERTY=value, a value with other characters than these in double
 * quotes with a quote inside written twice (Windows Installer, "Command-Line Options",
 * https://learn.microsoft.com/windows/win32/msi/command-line-options). install-certificate.ps1's
 * ConvertTo-MsiValue does the same.
 */
export function msiValue(value: string): string {
  return /^[A-Za-z0-9._-]+$/.test(value) ? value : `"${value.replace(/"/g, '""')}"`;
}

/** The properties, in the order install-certificate.ps1's Get-AgentMsiProperties lists them. */
export function agentMsiProperties(mg: ManifestManagementGroup): [string, string][] {
  if (mg.primary === null) throw new Error('a package without an assigned primary never installs an agent');
  return [
    ['USE_SETTINGS_FROM_AD', '0'],
    ['USE_MANUALLY_SPECIFIED_SETTINGS', '1'],
    ['MANAGEMENT_GROUP', mg.name],
    ['MANAGEMENT_SERVER_DNS', mg.primary.fqdn],
    ['SECURE_PORT', String(mg.primary.port)],
    ['ACTIONS_USE_COMPUTER_ACCOUNT', '1'],
    ['AcceptEndUserLicenseAgreement', '1'],
  ];
}

export function agentMsiPropertyString(mg: ManifestManagementGroup): string {
  return agentMsiProperties(mg).map(([k, v]) => `${k}=${msiValue(v)}`).join(' ');
}

/** The whole command line as the installer runs it: `/i <msi> /qn /l*v <log> <properties>`. */
export function msiexecCommandLine(mg: ManifestManagementGroup, msi: string, log: string): string {
  return ['/i', msiValue(msi), '/qn', '/l*v', msiValue(log), agentMsiPropertyString(mg)].join(' ');
}
