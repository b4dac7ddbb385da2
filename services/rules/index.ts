export * from './catalog.js';
export * from './identity.js';
export * from './owner-report.js';
export * from './certificate-rules.js';
export * from './file-rules.js';
export * from './outcome-rules.js';
export * from './renewal.js';
export * from './assess.js';
