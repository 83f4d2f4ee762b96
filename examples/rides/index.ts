/**
 * The rides example as a package, for tests and tools that need its parts by name: the project file's path, its
 * schema, views and live view. Oxbow's apps never import it; they load the project through the `project` setting.
 */
import { fileURLToPath } from 'node:url';

/** The path of the example's project module (what `--project` names). */
export const RIDES_PROJECT = fileURLToPath(new URL('./oxbow.project.ts', import.meta.url));

export * from './src/city-surge.ts';
export { type Ride, rides } from './src/schema.ts';
export { faresByCityDaily, promosDaily, ridesByCityHourly } from './src/views.ts';
