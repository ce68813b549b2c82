export * from './names.js';
export * from './duration.js';
export * from './route.js';
export * from './streams.js';
export * from './messages.js';
export * from './webhook-status.js';
export * from './feed.js';
export * from './queries.js';
