export * from './durable-write.js';
export * from './safe-read.js';
