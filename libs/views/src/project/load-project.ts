/**
 * Loading a user's project module: the `project` setting names a TypeScript (or JavaScript) module whose default
 * export is a `defineProject(…)`. Node runs `.ts` directly (type stripping). Errors name the file.
 */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ViewsError } from '../errors.ts';
import type { Project } from './define-project.ts';

/** The file a project is read from when the `project` setting is empty and `./oxbow.project.ts` is absent. */
export const BUNDLED_EXAMPLE_PROJECT = fileURLToPath(
  new URL('../../../../examples/web-analytics/oxbow.project.ts', import.meta.url),
);

/** The project file in the working directory that is used when the setting is empty. */
export const DEFAULT_PROJECT_FILE = 'oxbow.project.ts';

/**
 * The path of the project module: `setting` resolved against `cwd` when given, else `./oxbow.project.ts` when it
 * exists, else the bundled example ({@link BUNDLED_EXAMPLE_PROJECT}).
 *
 * @example
 * ```ts
 * resolveProjectPath('', process.cwd()); // '/work/app/oxbow.project.ts' or the bundled example
 * ```
 */
export function resolveProjectPath(setting: string | undefined, cwd: string = process.cwd()): string {
  if (setting !== undefined && setting.trim() !== '') {
    const text = setting.trim();
    return text.startsWith('file:') ? fileURLToPath(text) : isAbsolute(text) ? text : resolve(cwd, text);
  }
  const local = resolve(cwd, DEFAULT_PROJECT_FILE);
  return existsSync(local) ? local : BUNDLED_EXAMPLE_PROJECT;
}

const PACKAGE_ENTRIES: Readonly<Record<string, string>> = {
  '@oxbow/views': new URL('../index.ts', import.meta.url).href,
  '@oxbow/dataflow': import.meta.resolve('@oxbow/dataflow'),
};

let hooksRegistered = false;

/**
 * Lets a project module outside this repository import `@oxbow/views` and `@oxbow/dataflow`: when Node cannot
 * resolve them from the module's folder, they resolve to the packages this process runs.
 */
function registerPackageFallback(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        const entry = PACKAGE_ENTRIES[specifier];
        if (entry === undefined) throw error;
        return { url: entry, shortCircuit: true };
      }
    },
  });
}

const loaded = new Map<string, Promise<Project>>();
const loadedSync = new Map<string, Project>();

/**
 * Imports the project module at `path` (see {@link resolveProjectPath}) and returns its checked project; the same
 * path is imported once per process. Throws `OXBOW_PROJECT_NOT_FOUND` for a missing file and
 * `OXBOW_INVALID_PROJECT` with the file, the view and the reason for a bad definition.
 *
 * @example
 * ```ts
 * const project = await loadProject(resolveProjectPath(config.project));
 * for (const view of project.views) console.log(view.name, view.fingerprint);
 * ```
 */
export function loadProject(path: string): Promise<Project> {
  const absolute = resolve(path);
  let promise = loaded.get(absolute);
  if (promise === undefined) {
    promise = importProject(absolute);
    loaded.set(absolute, promise);
    promise.catch(() => loaded.delete(absolute));
  }
  return promise;
}

/**
 * The project at `path` if {@link loadProject} already loaded it in this thread; throws otherwise. For code
 * that must be synchronous (job builders, after the job's `prepare` loaded it).
 */
export function loadedProject(path: string): Project {
  const project = loadedSync.get(resolve(path));
  if (project === undefined) {
    throw new ViewsError('OXBOW_PROJECT_NOT_FOUND', `project ${path} is not loaded in this thread`);
  }
  return project;
}

async function importProject(path: string): Promise<Project> {
  if (!existsSync(path)) {
    throw new ViewsError(
      'OXBOW_PROJECT_NOT_FOUND',
      `${path}: no such project file (set "project" / OXBOW_PROJECT / --project to your module)`,
    );
  }
  registerPackageFallback();
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ViewsError('OXBOW_INVALID_PROJECT', `${path}: ${reason}`, { cause: error });
  }
  const exported = module.default;
  if (!isProject(exported)) {
    throw new ViewsError(
      'OXBOW_INVALID_PROJECT',
      `${path}: the default export must be defineProject({ topics, views, live })`,
    );
  }
  const project = exported.source === '(inline)' ? withSource(exported, pathToFileURL(path).href) : exported;
  loadedSync.set(path, project);
  return project;
}

function isProject(value: unknown): value is Project {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Project>;
  return (
    candidate.topics instanceof Map && Array.isArray(candidate.views) && typeof candidate.view === 'function'
  );
}

function withSource(project: Project, source: string): Project {
  return { ...project, source };
}
