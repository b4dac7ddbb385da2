export * from './server.js';
export { resolveApiTokens, type ApiToken, type Role } from './auth.js';
