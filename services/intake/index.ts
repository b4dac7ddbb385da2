export * from './layout.js';
export * from './share-files.js';
export * from './watcher.js';
export * from './owner-files.js';
