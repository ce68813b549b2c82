export * from './names.js';
export * from './duration.js';
export * from './route.js';
export * from './streams.js';
export * from './messages.js';
