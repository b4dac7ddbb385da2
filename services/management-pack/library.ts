/**
 * The sealed Microsoft management packs this one references, and every element it uses from each, so a test can
 * check that each aliased reference names something its library defines (the names are those of the SCOM 2012 R2
 * and later libraries; the versions are the lowest that have them all). References:
 * https://learn.microsoft.com/system-center/scom/manage-mp-library-overview
 */
export const REFERENCES = [
  { alias: 'System', id: 'System.Library', version: '7.5.8501.0' },
  { alias: 'Windows', id: 'Microsoft.Windows.Library', version: '7.5.8501.0' },
  { alias: 'Health', id: 'System.Health.Library', version: '7.0.8433.0' },
  { alias: 'SC', id: 'Microsoft.SystemCenter.Library', version: '7.0.8433.0' },
] as const;

export const PUBLIC_KEY_TOKEN = '31bf3856ad364e35';

export const LIBRARY_ELEMENTS: Record<(typeof REFERENCES)[number]['alias'], readonly string[]> = {
  System: ['System.Entity', 'System.SimpleScheduler', 'System.ExpressionFilter', 'System.PropertyBagData', 'System.BaseData', 'System.Discovery.Data'],
  Windows: [
    'Microsoft.Windows.Computer', 'Microsoft.Windows.LocalApplication', 'Microsoft.Windows.FilteredRegistryDiscoveryProvider',
    'Microsoft.Windows.PowerShellPropertyBagTriggerOnlyProbe', 'Microsoft.Windows.PowerShellWriteAction', 'Microsoft.Windows.EventProvider',
    'Microsoft.Windows.CheckNTServiceStateMonitorType', 'Microsoft.Windows.2SingleEventLog2StateMonitorType', 'Microsoft.Windows.3SingleEventLog3StateUnitMonitorType',
  ],
  Health: ['System.Health.AvailabilityState', 'System.Health.GenerateAlert'],
  SC: ['Microsoft.SystemCenter.StateViewType', 'Microsoft.SystemCenter.Monitoring.ViewFolder.Root'],
};
