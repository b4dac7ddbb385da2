/** The Windows service: WinSW definition, install/uninstall/control plans, the host script (README "Windows service"). */
export * from './definition.js';
export * from './host-script.js';
export * from './plan.js';
export * from './setup.js';
