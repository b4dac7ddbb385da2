export * from './layout.js';
export * from './share-files.js';
export * from './safe-read.js';
export * from './watcher.js';
