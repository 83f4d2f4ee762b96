/**
 * Enforces the dependency direction of docs/architecture.md between workspace projects, by their Nx tags:
 * the cli → apps → libs; adapters and domain libs → core; core → nothing of ours but the contracts; tools → anything;
 * tests may also use the shared test helpers (`@oxbow/testing-tools`).
 * The contracts (`type:contract`, `@oxbow/contracts`) may be imported by every project and import nothing of ours
 * (docs/decisions/0005-contracts-library.md).
 * Every `@oxbow/*` import in a project's sources must be allowed by these rules and declared in its package.json.
 * Exits non-zero, listing every violation, when a rule is broken.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

type Tag =
  | 'type:contract'
  | 'type:core'
  | 'type:domain'
  | 'type:adapter'
  | 'type:app'
  | 'type:cli'
  | 'type:tool'
  | 'type:example';

/** Which tags a project with the key tag may import from. */
export const ALLOWED: Readonly<Record<Tag, readonly Tag[]>> = {
  /** The layer contracts and the error base: dependency-free, so that anything may depend on them. */
  'type:contract': [],
  'type:core': ['type:contract'],
  'type:domain': ['type:contract', 'type:core'],
  'type:adapter': ['type:contract', 'type:core'],
  'type:app': ['type:contract', 'type:core', 'type:domain', 'type:adapter'],
  /** The `oxbow` command starts the apps. */
  'type:cli': ['type:contract', 'type:core', 'type:domain', 'type:adapter', 'type:app'],
  /** An example project: written as a user writes one, with only the user-facing libraries. */
  'type:example': ['type:contract', 'type:core', 'type:domain'],
  'type:tool': [
    'type:example',
    'type:contract',
    'type:core',
    'type:domain',
    'type:adapter',
    'type:app',
    'type:cli',
    'type:tool',
  ],
};

interface Project {
  name: string;
  root: string;
  tag: Tag;
  declared: Set<string>;
}

const WORKSPACE_GROUPS = ['libs', 'apps', 'tools', 'examples'];
const IMPORT_PATTERN = /(?:from\s+|import\s*\(\s*|import\s+)['"](@oxbow\/[^/'"]+)/g;

function readProjects(workspaceRoot: string): Map<string, Project> {
  const projects = new Map<string, Project>();
  for (const group of WORKSPACE_GROUPS) {
    const groupDir = join(workspaceRoot, group);
    for (const entry of safeReaddir(groupDir)) {
      const root = join(groupDir, entry);
      const manifestPath = join(root, 'package.json');
      let manifest: {
        name: string;
        nx?: { tags?: string[] };
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      try {
        manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      } catch {
        continue;
      }
      const tag = manifest.nx?.tags?.find((t): t is Tag => t in ALLOWED);
      if (!tag) throw new Error(`${relative(workspaceRoot, manifestPath)}: no type:* tag in "nx.tags"`);
      const declared = new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.devDependencies ?? {}),
      ]);
      projects.set(manifest.name, { name: manifest.name, root, tag, declared });
    }
  }
  return projects;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of safeReaddir(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (entry.endsWith('.ts')) yield path;
  }
}

/**
 * Whether `file` is a test of an app (under the app's `test/` directory): tests are composition roots and may
 * start other apps (end-to-end tests), which the app's sources may not import.
 */
function isAppTest(project: Project, file: string): boolean {
  return project.tag === 'type:app' && isTest(project, file);
}

/** Whether `file` is a test or test support of its project: under `test/`, or a `*.test.ts` file. */
function isTest(project: Project, file: string): boolean {
  return relative(project.root, file).startsWith(`test${sep}`) || file.endsWith('.test.ts');
}

/** Returns one human-readable line per violation; empty when the tree is clean. */
export function findViolations(workspaceRoot: string): string[] {
  const projects = readProjects(workspaceRoot);
  const violations: string[] = [];
  for (const project of projects.values()) {
    for (const file of sourceFiles(project.root)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(IMPORT_PATTERN)) {
        const target = match[1] ?? '';
        if (target === project.name) continue;
        const where = relative(workspaceRoot, file);
        const imported = projects.get(target);
        if (!imported) {
          violations.push(`${where}: imports ${target}, which is no workspace project`);
          continue;
        }
        const appTestImportingApp = imported.tag === 'type:app' && isAppTest(project, file);
        // Tests run the example projects; sources never name an example (they load projects by setting).
        const testImportingExample = imported.tag === 'type:example' && isTest(project, file);
        // The shared test helpers (`@oxbow/testing-tools`: private servers, the delivery verifier) serve every test.
        const testImportingTestTools = imported.name === '@oxbow/testing-tools' && isTest(project, file);
        const allowed =
          ALLOWED[project.tag].includes(imported.tag) ||
          appTestImportingApp ||
          testImportingExample ||
          testImportingTestTools;
        if (!allowed) {
          violations.push(
            `${where}: ${project.name} (${project.tag}) may not import ${target} (${imported.tag})`,
          );
        }
        if (!project.declared.has(target)) {
          violations.push(`${where}: imports ${target} without declaring it in package.json`);
        }
      }
    }
  }
  return violations;
}

if (import.meta.main) {
  const violations = findViolations(process.cwd());
  for (const line of violations) console.error(line);
  if (violations.length > 0) {
    console.error(`module boundaries: ${violations.length} violation(s)`);
    process.exit(1);
  }
  console.log('module boundaries: ok');
}
