export * from './types.js';
export * from './ports.js';
export * from './errors.js';
export * from './human-time.js';
