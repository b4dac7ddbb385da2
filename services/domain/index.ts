export * from './types.js';
export * from './states.js';
export * from './reasons.js';
export * from './ports.js';
export * from './ca-port.js';
export * from './store-port.js';
export * from './errors.js';
export * from './backoff.js';
