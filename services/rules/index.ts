export * from './catalog.js';
export * from './identity.js';
export * from './owner-report.js';
export * from './certificate-rules.js';
export * from './assignment.js';
