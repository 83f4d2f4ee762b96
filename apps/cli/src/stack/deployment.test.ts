/**
 * Static checks of the deployment files, with no Docker engine or cluster: the Dockerfile (one image for every
 * app, non-root, runtime dependencies only) and the Kubernetes manifests of infra/k8s (each object validated
 * against the Kubernetes JSON schemas of `kubernetes-models` and, for unknown fields, against its TypeScript
 * types; every variable an Oxbow setting; probes on the apps' real health routes and ports).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, SETTINGS, type SettingName, settingSpec } from '@oxbow/config';
import { DEFAULT_HEALTH_PATHS } from '@oxbow/connectors';
import { SPEED_HEALTH_PATHS } from '@oxbow/speed';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseCommandLine } from '../args.ts';
import { helpText } from '../help.ts';

const repoFile = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(repoFile(path), 'utf8');

const ROOT_PACKAGE = JSON.parse(read('package.json')) as { version: string };
const CLI_PACKAGE = JSON.parse(read('apps/cli/package.json')) as {
  name: string;
  bin: Record<string, string>;
};
const IMAGE = `oxbow:${ROOT_PACKAGE.version}`;

const SETTING_BY_ENV = new Map(
  (Object.keys(SETTINGS) as SettingName[]).map((name) => [settingSpec(name).env, name]),
);

/** The routes `registerOpsRoutes` of the serving API declares (`/healthz`, `/readyz`, …). */
function servingOpsRoutes(): string[] {
  const source = read('apps/serving/src/routes/ops-routes.ts');
  return [...source.matchAll(/app\.(?:get|post)(?:<[^>]*>)?\(\s*'([^']+)'/g)].map((match) => match[1] ?? '');
}

/** A command line is one the `oxbow` command knows: it parses, and `--help` lists its command words. */
function expectOxbowCommand(argv: readonly string[], where: string): void {
  const parsed = parseCommandLine(argv);
  expect(parsed.command.length, where).toBeGreaterThan(0);
  expect(helpText(parsed.command[0]), where).toMatch(new RegExp(`oxbow ${parsed.command.join(' ')}( |\n)`));
}

// ---------------------------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function dockerInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && current === '')) continue;
    if (trimmed.endsWith('\\')) {
      current += `${trimmed.slice(0, -1)} `;
      continue;
    }
    current += trimmed;
    const [keyword = '', ...rest] = current.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' ') });
    current = '';
  }
  return instructions;
}

/** The `node` release package-lock.json pins (the `node` devDependency, the Node the project runs). */
function lockedNodeVersion(): string {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string }> };
  const version = lock.packages['node_modules/node']?.version;
  if (!version) throw new Error('package-lock.json has no node_modules/node');
  return version;
}

describe('Dockerfile', () => {
  const instructions = dockerInstructions(read('Dockerfile'));
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  const runtime = stages.at(-1) ?? [];
  const last = (keyword: string) => runtime.filter((i) => i.keyword === keyword).at(-1)?.args;

  it('builds every stage from node:<the pinned Node release>-bookworm-slim', () => {
    const arg = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    const version = lockedNodeVersion();
    expect(version).toMatch(/^24\.\d+\.\d+$/);
    expect(arg?.args).toBe(`NODE_IMAGE=node:${version}-bookworm-slim`);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]?.args).toMatch(/^\$\{NODE_IMAGE\}( AS [a-z-]+)?$/);
  });

  it('installs only the runtime dependencies of the oxbow command', () => {
    expect(CLI_PACKAGE.bin.oxbow).toBe('./src/main.ts');
    const installs = instructions.filter((i) => i.keyword === 'RUN' && i.args.includes('npm ci'));
    expect(installs).toHaveLength(1);
    expect(installs[0]?.args).toMatch(new RegExp(`npm ci --omit=dev --workspace ${CLI_PACKAGE.name}( |$)`));
    // The runtime stage copies node_modules from the install stage, never installs itself.
    expect(runtime.some((i) => i.keyword === 'RUN' && i.args.includes('npm'))).toBe(false);
    expect(runtime.map((i) => i.args)).toEqual(
      expect.arrayContaining(['--from=deps /app/ ./', 'libs/ libs/', 'apps/ apps/']),
    );
  });

  it('runs as a fixed non-root user, `node apps/cli/src/main.ts`, serve by default', () => {
    const user = last('USER') ?? '';
    expect(user).toMatch(/^\d+:\d+$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    expect(JSON.parse(last('ENTRYPOINT') ?? 'null')).toEqual(['node', 'apps/cli/src/main.ts']);
    const command = JSON.parse(last('CMD') ?? 'null') as string[];
    expect(command).toEqual(['serve']);
    expectOxbowCommand(command, 'CMD');
    expect(last('WORKDIR')).toBe('/app');
  });

  it('sets only Oxbow settings, listening on every interface and writing under the state directory', async () => {
    const env = Object.fromEntries(
      runtime
        .filter((i) => i.keyword === 'ENV')
        .flatMap((i) => i.args.split(/\s+/))
        .map((pair) => pair.split('=') as [string, string]),
    );
    for (const name of Object.keys(env).filter((key) => key.startsWith('OXBOW_')))
      expect(SETTING_BY_ENV.has(name), name).toBe(true);
    const { config } = await loadConfig({ env, noFile: true, cwd: '/app', homeDir: '/var/lib/oxbow' });
    expect(config.apiHost).toBe('0.0.0.0');
    expect(config.stateDir).toBe('/var/lib/oxbow');
    expect(config.lake).toBe('file:///var/lib/oxbow/lake/');
    expect(config.servingCacheDir.startsWith('/var/lib/oxbow/')).toBe(true);
    expect(env.NODE_ENV).toBe('production');
  });

  it('keeps dependencies, local state, secrets and tests out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining(['.git', '.oxbow', '**/node_modules', '**/test', '**/*.test.ts', '.env']),
    );
    // What the image needs stays in.
    for (const needed of ['apps', 'libs', 'tools', 'package.json', 'package-lock.json', 'LICENSE', '*', '**'])
      expect(ignored).not.toContain(needed);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Probe {
  httpGet?: { path: string; port: number | string };
  exec?: { command: string[] };
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string> };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: {
    containers: Container[];
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number };
  };
}

const K8S_DIR = 'infra/k8s';

/** The kinds infra/k8s may hold, each with its schema validation (`validate()` throws on a violation). */
const MODELS: readonly {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: never): { validate(): void };
}[] = [
  Namespace,
  ConfigMap,
  Secret,
  Service,
  Deployment,
  HorizontalPodAutoscaler,
  PodDisruptionBudget,
  CronJob,
  Job,
];

interface Located {
  readonly where: string;
  readonly object: K8sObject;
}

function manifests(directory = K8S_DIR): Located[] {
  const located: Located[] = [];
  const files = readdirSync(repoFile(directory)).filter(
    (file) => /\.ya?ml$/.test(file) && file !== 'kustomization.yaml',
  );
  for (const file of files.sort()) {
    parseAllDocuments(read(`${directory}/${file}`)).forEach((document, index) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
      const object = document.toJS() as K8sObject | null;
      if (object !== null) located.push({ where: `${file}#${index}`, object });
    });
  }
  return located;
}

const OBJECTS = manifests();

function find(kind: string, name: string): K8sObject {
  const found = OBJECTS.find(({ object }) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`infra/k8s has no ${kind} ${name}`);
  return found.object;
}

function podTemplate(object: K8sObject): PodTemplate {
  const spec = object.spec as {
    template?: PodTemplate;
    jobTemplate?: { spec: { template: PodTemplate } };
  };
  const template = spec.template ?? spec.jobTemplate?.spec.template;
  if (!template) throw new Error(`${object.kind} ${object.metadata.name} has no pod template`);
  return template;
}

const WORKLOADS = OBJECTS.filter(({ object }) => ['Deployment', 'CronJob'].includes(object.kind));

/** The image's user and group: the Dockerfile's last `USER uid:gid`. */
function imageUser(): number[] | undefined {
  return dockerInstructions(read('Dockerfile'))
    .filter((i) => i.keyword === 'USER')
    .at(-1)
    ?.args.split(':')
    .map(Number);
}

/** A pod runs as the image's user and group, never as root. */
function expectRunsAsImageUser(template: PodTemplate, where: string): void {
  const user = imageUser();
  expect(template.spec.securityContext, where).toMatchObject({
    runAsNonRoot: true,
    runAsUser: user?.[0],
    runAsGroup: user?.[1],
  });
}

/** The environment a container sees: its ConfigMaps and Secrets (`envFrom`), then its `env`. */
function containerEnv(container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, find('ConfigMap', source.configMapRef.name).data);
    if (source.secretRef) {
      const secret = find('Secret', source.secretRef.name) as K8sObject & {
        data?: Record<string, string>;
        stringData?: Record<string, string>;
      };
      for (const [key, value] of Object.entries(secret.data ?? {}))
        env[key] = Buffer.from(value, 'base64').toString('utf8');
      Object.assign(env, secret.stringData);
    }
  }
  for (const { name, value } of container.env ?? []) env[name] = value ?? '';
  return env;
}

/**
 * A container takes its settings from the cluster's ConfigMap and Secret, sets only known settings itself, and
 * loads a config that reads the lake from S3.
 */
async function expectSettingsOfTheCluster(container: Container, where: string) {
  expect(container.envFrom, where).toEqual([
    { configMapRef: { name: 'oxbow-config' } },
    { secretRef: { name: 'oxbow-secrets' } },
  ]);
  const env = containerEnv(container);
  for (const name of Object.keys(env)) expect(SETTING_BY_ENV.has(name), `${where} ${name}`).toBe(true);
  const loaded = await loadConfig({ env, noFile: true, cwd: '/app', homeDir: '/var/lib/oxbow' });
  expect(loaded.config.lake, where).toMatch(/^s3:\/\//);
  return loaded;
}

/** Type-checks every object as a literal of its kubernetes-models interface: unknown fields are errors. */
function typeErrors(objects: readonly Located[]): string[] {
  const file = join(dirname(fileURLToPath(import.meta.url)), '__k8s_manifests__.ts');
  const imports = new Map<string, string>();
  const starts: { start: number; where: string }[] = [];
  let body = '';
  objects.forEach(({ where, object }, index) => {
    const type = `I${object.kind}_${object.apiVersion.replace(/[^A-Za-z0-9]/g, '_')}`;
    imports.set(
      type,
      `import type { I${object.kind} as ${type} } from 'kubernetes-models/${object.apiVersion}/${object.kind}';`,
    );
    starts.push({ start: body.length, where });
    body += `export const object${index}: ${type} = ${JSON.stringify(object, null, 1)};\n`;
  });
  const header = `${[...imports.values()].join('\n')}\n`;
  const source = header + body;
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === file || ts.sys.fileExists(name);
  host.readFile = (name) => (name === file ? source : ts.sys.readFile(name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const offset = (diagnostic.start ?? 0) - header.length;
    const where = starts.filter(({ start }) => start <= offset).at(-1)?.where ?? 'imports';
    return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}

describe('infra/k8s', () => {
  it('lists every manifest in kustomization.yaml, with the image of the Dockerfile', () => {
    const kustomization = parse(read(`${K8S_DIR}/kustomization.yaml`)) as {
      resources: string[];
      images?: { name: string; newTag?: string }[];
    };
    const files = readdirSync(repoFile(K8S_DIR)).filter(
      (file) => /\.ya?ml$/.test(file) && file !== 'kustomization.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.images).toEqual([{ name: 'oxbow', newTag: ROOT_PACKAGE.version }]);
    for (const { where, object } of WORKLOADS) {
      for (const container of podTemplate(object).spec.containers) expect(container.image, where).toBe(IMAGE);
    }
  });

  it('validates every object against the Kubernetes JSON schemas', () => {
    expect(OBJECTS.length).toBeGreaterThan(5);
    for (const { where, object } of OBJECTS) {
      const Model = MODELS.find(
        (model) => model.apiVersion === object.apiVersion && model.kind === object.kind,
      );
      if (!Model) throw new Error(`${where}: no model for ${object.apiVersion} ${object.kind} in MODELS`);
      expect(() => new Model(object as never).validate(), where).not.toThrow();
    }
  });

  it('has no field the Kubernetes types do not know (typos are not silently ignored)', () => {
    expect(typeErrors(OBJECTS)).toEqual([]);
  });

  it('runs archiver, speed and serving as Deployments, serving autoscaled, batch as a CronJob', () => {
    const args = (kind: string, name: string) => podTemplate(find(kind, name)).spec.containers[0]?.args;
    expect(args('Deployment', 'oxbow-archiver')).toEqual(['archiver']);
    expect(args('Deployment', 'oxbow-speed')).toEqual(['speed']);
    expect(args('Deployment', 'oxbow-serving')).toEqual(['serve']);
    expect(args('CronJob', 'oxbow-batch')).toEqual(['batch', 'run']);
    const hpa = find('HorizontalPodAutoscaler', 'oxbow-serving').spec as {
      scaleTargetRef: { kind: string; name: string };
      minReplicas: number;
    };
    expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'oxbow-serving' });
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    // The autoscaler owns the replica count; CPU utilization needs a CPU request.
    expect((find('Deployment', 'oxbow-serving').spec as { replicas?: number }).replicas).toBeUndefined();
    expect(
      podTemplate(find('Deployment', 'oxbow-serving')).spec.containers[0]?.resources?.requests?.cpu,
    ).toBeDefined();
    // One archiver per lake; one speed instance (live views are per instance).
    for (const name of ['oxbow-archiver', 'oxbow-speed'])
      expect(find('Deployment', name).spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    expect(find('CronJob', 'oxbow-batch').spec).toMatchObject({ concurrencyPolicy: 'Forbid' });
    for (const { where, object } of WORKLOADS) {
      for (const container of podTemplate(object).spec.containers) {
        expect(container.command, where).toBeUndefined(); // the image's ENTRYPOINT runs the args
        expectOxbowCommand(container.args ?? [], where);
      }
    }
  });

  it('takes settings from a ConfigMap and a Secret, every variable an Oxbow setting with a valid value', async () => {
    const config = find('ConfigMap', 'oxbow-config') as K8sObject & { data: Record<string, string> };
    const secret = find('Secret', 'oxbow-secrets') as K8sObject & { stringData: Record<string, string> };
    for (const name of [...Object.keys(config.data), ...Object.keys(secret.stringData)])
      expect(SETTING_BY_ENV.has(name), name).toBe(true);
    // Credentials only in the Secret.
    for (const name of ['OXBOW_S3_ACCESS_KEY', 'OXBOW_S3_SECRET_KEY', 'OXBOW_API_KEYS', 'OXBOW_REDIS_URL']) {
      expect(Object.keys(secret.stringData)).toContain(name);
      expect(Object.keys(config.data)).not.toContain(name);
    }
    for (const { where, object } of WORKLOADS) {
      for (const container of podTemplate(object).spec.containers) {
        const loaded = await expectSettingsOfTheCluster(container, where);
        expect(loaded.config.stateDir, where).toBe('/var/lib/oxbow');
      }
    }
  });

  it('probes serving, speed and the archiver on their real health routes and ports', async () => {
    const serving = podTemplate(find('Deployment', 'oxbow-serving')).spec.containers[0] as Container;
    const servingConfig = (await loadConfig({ env: containerEnv(serving), noFile: true })).config;
    const portOf = (port: number | string | undefined) =>
      typeof port === 'number' ? port : serving.ports?.find((p) => p.name === port)?.containerPort;
    const routes = servingOpsRoutes();
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
      const httpGet = serving[probe]?.httpGet;
      expect(routes, probe).toContain(httpGet?.path);
      expect(portOf(httpGet?.port), probe).toBe(servingConfig.apiPort);
    }
    expect(serving.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(serving.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(servingConfig.apiHost).toBe('0.0.0.0');
    const service = find('Service', 'oxbow-serving').spec as {
      selector: Record<string, string>;
      ports: { targetPort: number | string }[];
    };
    expect(portOf(service.ports[0]?.targetPort)).toBe(servingConfig.apiPort);

    const speed = podTemplate(find('Deployment', 'oxbow-speed')).spec.containers[0] as Container;
    const speedConfig = (await loadConfig({ env: containerEnv(speed), noFile: true })).config;
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
      // The health server listens on the pod's 127.0.0.1 only: an exec probe inside the container reaches it.
      const command = speed[probe]?.exec?.command ?? [];
      expect(command.slice(0, 2), probe).toEqual(['node', '-e']);
      const url = new URL(/fetch\('([^']+)'\)/.exec(command[2] ?? '')?.[1] ?? 'http://missing');
      expect(url.hostname, probe).toBe('127.0.0.1');
      expect(Number(url.port), probe).toBe(speedConfig.speedHealthPort);
      expect(SPEED_HEALTH_PATHS, probe).toContain(url.pathname);
    }

    const archiver = podTemplate(find('Deployment', 'oxbow-archiver')).spec.containers[0] as Container;
    const archiverConfig = (await loadConfig({ env: containerEnv(archiver), noFile: true })).config;
    for (const probe of ['startupProbe', 'livenessProbe'] as const) {
      const command = archiver[probe]?.exec?.command ?? [];
      expect(command.slice(0, 2), probe).toEqual(['node', '-e']);
      const url = new URL(/fetch\('([^']+)'\)/.exec(command[2] ?? '')?.[1] ?? 'http://missing');
      expect(url.hostname, probe).toBe('127.0.0.1');
      expect(Number(url.port), probe).toBe(archiverConfig.archiverHealthPort);
      expect(url.pathname, probe).toBe('/healthz');
      expect(DEFAULT_HEALTH_PATHS, probe).toContain('/healthz');
    }
  });

  it('selects its own pods and runs them as the image user, never as root', () => {
    for (const { where, object } of WORKLOADS) {
      const template = podTemplate(object);
      expectRunsAsImageUser(template, where);
      const selector = (object.spec as { selector?: { matchLabels: Record<string, string> } }).selector;
      if (selector) expect(template.metadata?.labels, where).toMatchObject(selector.matchLabels);
    }
    const servingLabels = podTemplate(find('Deployment', 'oxbow-serving')).metadata?.labels;
    const service = find('Service', 'oxbow-serving').spec as { selector: Record<string, string> };
    expect(servingLabels).toMatchObject(service.selector);
    const pdb = find('PodDisruptionBudget', 'oxbow-serving').spec as {
      selector: { matchLabels: Record<string, string> };
    };
    expect(servingLabels).toMatchObject(pdb.selector.matchLabels);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// infra/k8s/batch-indexed: one batch run split across machines (an Indexed Job of parts, then the merge Job)

const INDEXED_DIR = `${K8S_DIR}/batch-indexed`;
const INDEXED = manifests(INDEXED_DIR);

describe('infra/k8s/batch-indexed', () => {
  const job = (name: string) => {
    const found = INDEXED.find(({ object }) => object.kind === 'Job' && object.metadata.name === name);
    if (!found) throw new Error(`${INDEXED_DIR} has no Job ${name}`);
    return found.object;
  };

  it('lists both Jobs in its kustomization.yaml, with the image of the Dockerfile', () => {
    const kustomization = parse(read(`${INDEXED_DIR}/kustomization.yaml`)) as {
      namespace: string;
      resources: string[];
      images?: { name: string; newTag?: string }[];
    };
    const files = readdirSync(repoFile(INDEXED_DIR)).filter(
      (file) => /\.ya?ml$/.test(file) && file !== 'kustomization.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.namespace).toBe(find('Namespace', 'oxbow').metadata.name);
    expect(kustomization.images).toEqual([{ name: 'oxbow', newTag: ROOT_PACKAGE.version }]);
    expect(INDEXED.map(({ object }) => `${object.kind} ${object.metadata.name}`).sort()).toEqual([
      'Job oxbow-batch-merge',
      'Job oxbow-batch-parts',
    ]);
  });

  it('validates both Jobs against the Kubernetes JSON schemas and types', () => {
    for (const { where, object } of INDEXED) {
      expect(() => new Job(object as never).validate(), where).not.toThrow();
    }
    expect(typeErrors(INDEXED)).toEqual([]);
  });

  it('runs N indexed parts side by side, then a merge of the same N parts', async () => {
    const parts = job('oxbow-batch-parts');
    const spec = parts.spec as { completionMode: string; completions: number; parallelism: number };
    expect(spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const merge = job('oxbow-batch-merge');
    expect((merge.spec as { completionMode?: string; completions?: number }).completionMode).toBeUndefined();
    const partsContainer = podTemplate(parts).spec.containers[0] as Container;
    const mergeContainer = podTemplate(merge).spec.containers[0] as Container;
    // `oxbow batch run` computes part JOB_COMPLETION_INDEX (set by Kubernetes in an Indexed Job's pods).
    expect(partsContainer.args).toEqual(['batch', 'run']);
    expect(mergeContainer.args).toEqual(['batch', 'merge']);
    for (const container of [partsContainer, mergeContainer]) {
      const { config } = await loadConfig({ env: containerEnv(container), noFile: true });
      expect(config.batchParts, container.name).toBe(spec.completions);
      // Both find the same run id: the configured one, or else the watermark of the same sealed lake.
      expect(config.batchRunId).toBe('');
    }
  });

  it('runs each Job like the other workloads: the image, the settings, an oxbow command, non-root', async () => {
    for (const { where, object } of INDEXED) {
      const template = podTemplate(object);
      expectRunsAsImageUser(template, where);
      for (const container of template.spec.containers) {
        expect(container.image, where).toBe(IMAGE);
        expect(container.command, where).toBeUndefined();
        expectOxbowCommand(container.args ?? [], where);
        await expectSettingsOfTheCluster(container, where);
      }
    }
  });
});
