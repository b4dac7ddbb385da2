export * from './context.js';
export * from './app.js';
export * from './pipeline.js';
export * from './ingest.js';
export * from './publish.js';
export * from './queries.js';
export * from './inspect.js';
export * from './verify.js';
