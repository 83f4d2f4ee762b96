/**
 * Transitional: the lake layout moved to `@oxbow/contracts`; `archiver.ts` still imports it from here until its
 * in-flight change lands, then this file goes.
 */
export { partFilePath, sealedPath } from '@oxbow/contracts';
