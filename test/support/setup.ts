import { ensurePromiseWithResolvers } from '../../cli/local/promise-polyfill';

ensurePromiseWithResolvers();
// Powertools Logger stays quiet in tests unless asked for.
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
