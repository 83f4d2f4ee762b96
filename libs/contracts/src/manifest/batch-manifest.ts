/**
 * The batch manifest (docs/design/0002-layer-contracts.md, "Batch views"): what a published batch-view version
 * holds and up to which epoch. The batch layer writes it (`views/_manifests/<runId>.json`, then
 * `views/_manifest.json`); the serving layer follows it to the DuckDB file and the watermark epoch E; the speed
 * layer expires its increments of epochs ≤ E and rebuilds from its end offsets.
 */
import { ContractError } from '../errors/contract-error.ts';
import {
  durationField,
  type Fail,
  integerField,
  objectField,
  offsetsField,
  parseJson,
  stringField,
} from '../json-fields.ts';
import { isRunIdSegment } from '../lake/lake-layout.ts';

/** The `format` tag of a manifest. */
export const MANIFEST_FORMAT = 'oxbow-batch-manifest';
/** The manifest version this package reads and writes. */
export const MANIFEST_VERSION = 1;

/** One view of a published version. */
export interface ManifestView {
  readonly name: string;
  /** Rows of the view's table. */
  readonly rows: number;
  /** The view's Parquet file, relative to the lake root. */
  readonly parquet: string;
  /** Events read for this view. Not in the contract's example; view entries may carry extra fields. */
  readonly rowsIn?: number;
  /** The engine that computed the view (`rdd`, `duckdb`). */
  readonly engine?: string;
  /** How long computing the view took. */
  readonly computeMs?: number;
  /**
   * The view definition's fingerprint (`view.fingerprint` of `@oxbow/views`: 16 hex digits) the table was
   * computed with. Absent in manifests written before fingerprints: read that as "unknown fingerprint".
   */
  readonly fingerprint?: string;
  /** `full`: recomputed from every sealed epoch; `incremental`: the previous version merged with the new epochs. */
  readonly mode?: 'full' | 'incremental';
  /** What the table covers, so the next run can tell whether it may merge new epochs into it. */
  readonly coverage?: ViewCoverage;
}

/**
 * The lake files a view's table covers: every Parquet file of its lake topics in the sealed epochs ≤ the manifest's
 * `watermarkEpoch`. A later run merges new epochs into the table only when the files up to that epoch are still
 * exactly these (same paths and sizes): sealed epochs never change, but a topic archived or renamed later could.
 */
export interface ViewCoverage {
  /** The lake directories (Kafka topics) read, sorted. */
  readonly lakeTopics: readonly string[];
  /** How many files. */
  readonly files: number;
  /** SHA-256 (first 16 hex digits) of the files' `path size` lines, sorted by path. */
  readonly filesDigest: string;
}

/**
 * One machine-learning model of a published version: trained by the batch layer on the sealed epochs ≤ the
 * manifest's `watermarkEpoch` of its topic, saved as `@oxbow/ml`'s versioned JSON beside the view tables.
 */
export interface ManifestModel {
  /** The model's name in the project (`defineModel`). */
  readonly name: string;
  /** `kmeans` or `linear-regression`. */
  readonly kind: string;
  /** The project topic it learnt from. */
  readonly topic: string;
  /** The saved model (JSON), relative to the lake root: `views/v=<runId>/models/<name>.json`. */
  readonly path: string;
  /** Examples (events that passed the model's filter) it was trained on. */
  readonly examples: number;
  /** The model definition's fingerprint (`ModelDefinition.fingerprint` of `@oxbow/views`). */
  readonly fingerprint: string;
}

/** The manifest of one successful batch run. */
export interface BatchManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: typeof MANIFEST_VERSION;
  /** The run's id: sortable, `YYYYMMDDTHHMMSSmmmZ-<8 hex>` (any path-safe segment is accepted). */
  readonly runId: string;
  readonly epochMs: number;
  /** The watermark epoch E: the version covers every sealed epoch ≤ E of every topic it read. */
  readonly watermarkEpoch: number;
  /** Per Kafka topic, per partition: the first offset after epoch E (decimal strings), from the `_sealed` markers. */
  readonly endOffsets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly views: readonly ManifestView[];
  /** The DuckDB file, relative to the lake root. */
  readonly duckdb: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationsMs: { readonly read: number; readonly compute: number; readonly write: number };
  /**
   * The project's models trained by this run. Absent in manifests written before models (and omitted when the
   * project declares none): read that as "no models".
   */
  readonly models?: readonly ManifestModel[];
}

/**
 * The bytes of a manifest: pretty JSON (two-space indent) and one trailing newline.
 *
 * @example
 * await lake.putAtomic(historyManifestPath(manifest.runId), encodeManifest(manifest));
 */
export function encodeManifest(manifest: BatchManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Parses and checks a manifest read from `path` (for messages); throws `OXBOW_MANIFEST_INVALID` naming the first
 * problem. Bytes that are not JSON (a torn read while the manifest is being replaced) give a retriable error.
 * Fields outside the contract are dropped, except the view entries' optional ones; `models` is optional (older
 * manifests have none).
 *
 * @example
 * const manifest = decodeManifest(await lake.read(MANIFEST_PATH), MANIFEST_PATH);
 * manifest.watermarkEpoch; // 489012
 */
export function decodeManifest(input: Uint8Array | string, path: string): BatchManifest {
  const fail: Fail = (problem) => {
    throw new ContractError('OXBOW_MANIFEST_INVALID', `batch manifest ${path}: ${problem}`);
  };
  const json = parseJson(input, (error) => {
    throw new ContractError(
      'OXBOW_MANIFEST_INVALID',
      `batch manifest ${path}: not JSON (torn or partial read?): ${String(error)}`,
      { cause: error, retriable: true },
    );
  });
  const manifest = objectField(json, 'the manifest', fail);
  if (manifest.format !== MANIFEST_FORMAT)
    fail(`format ${JSON.stringify(manifest.format)}, not ${MANIFEST_FORMAT}`);
  if (manifest.version !== MANIFEST_VERSION) fail(`unsupported version ${JSON.stringify(manifest.version)}`);
  const runId = stringField(manifest.runId, 'runId', fail);
  if (!isRunIdSegment(runId)) fail(`runId ${JSON.stringify(runId)} is malformed`);
  const endOffsets: Record<string, Readonly<Record<string, string>>> = {};
  for (const [topic, offsets] of Object.entries(objectField(manifest.endOffsets, 'endOffsets', fail))) {
    endOffsets[topic] = offsetsField(offsets, `endOffsets.${topic}`, fail);
  }
  if (!Array.isArray(manifest.views)) fail('views is not an array');
  const views = (manifest.views as readonly unknown[]).map((entry, index) =>
    decodeView(objectField(entry, `views[${index}]`, fail), `views[${index}]`, fail),
  );
  const durations = objectField(manifest.durationsMs, 'durationsMs', fail);
  if (manifest.models !== undefined && !Array.isArray(manifest.models)) fail('models is not an array');
  const models = (manifest.models as readonly unknown[] | undefined)?.map((entry, index) =>
    decodeModel(objectField(entry, `models[${index}]`, fail), `models[${index}]`, fail),
  );
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    runId,
    epochMs: integerField(manifest.epochMs, 'epochMs', fail, 1),
    watermarkEpoch: integerField(manifest.watermarkEpoch, 'watermarkEpoch', fail, 0),
    endOffsets,
    views,
    duckdb: relativePath(manifest.duckdb, 'duckdb', fail),
    startedAt: stringField(manifest.startedAt, 'startedAt', fail),
    finishedAt: stringField(manifest.finishedAt, 'finishedAt', fail),
    durationsMs: {
      read: durationField(durations.read, 'durationsMs.read', fail),
      compute: durationField(durations.compute, 'durationsMs.compute', fail),
      write: durationField(durations.write, 'durationsMs.write', fail),
    },
    ...(models === undefined ? {} : { models }),
  };
}

function decodeModel(entry: Readonly<Record<string, unknown>>, field: string, fail: Fail): ManifestModel {
  return {
    name: stringField(entry.name, `${field}.name`, fail),
    kind: stringField(entry.kind, `${field}.kind`, fail),
    topic: stringField(entry.topic, `${field}.topic`, fail),
    path: relativePath(entry.path, `${field}.path`, fail),
    examples: integerField(entry.examples, `${field}.examples`, fail, 0),
    fingerprint: stringField(entry.fingerprint, `${field}.fingerprint`, fail),
  };
}

function decodeView(entry: Readonly<Record<string, unknown>>, field: string, fail: Fail): ManifestView {
  const { rowsIn, engine, computeMs, fingerprint, mode, coverage } = entry;
  if (mode !== undefined && mode !== 'full' && mode !== 'incremental') {
    fail(`${field}.mode ${JSON.stringify(mode)} is neither "full" nor "incremental"`);
  }
  return {
    name: stringField(entry.name, `${field}.name`, fail),
    rows: integerField(entry.rows, `${field}.rows`, fail, 0),
    parquet: relativePath(entry.parquet, `${field}.parquet`, fail),
    ...(rowsIn === undefined ? {} : { rowsIn: integerField(rowsIn, `${field}.rowsIn`, fail, 0) }),
    ...(engine === undefined ? {} : { engine: stringField(engine, `${field}.engine`, fail) }),
    ...(computeMs === undefined ? {} : { computeMs: durationField(computeMs, `${field}.computeMs`, fail) }),
    ...(fingerprint === undefined
      ? {}
      : { fingerprint: stringField(fingerprint, `${field}.fingerprint`, fail) }),
    ...(mode === undefined ? {} : { mode }),
    ...(coverage === undefined ? {} : { coverage: decodeCoverage(coverage, `${field}.coverage`, fail) }),
  };
}

function decodeCoverage(value: unknown, field: string, fail: Fail): ViewCoverage {
  const coverage = objectField(value, field, fail);
  const topics = coverage.lakeTopics;
  if (!Array.isArray(topics)) fail(`${field}.lakeTopics is not an array`);
  return {
    lakeTopics: (topics as readonly unknown[]).map((topic, index) =>
      stringField(topic, `${field}.lakeTopics[${index}]`, fail),
    ),
    files: integerField(coverage.files, `${field}.files`, fail, 0),
    filesDigest: stringField(coverage.filesDigest, `${field}.filesDigest`, fail),
  };
}

/** A path relative to the lake root, inside it: no leading `/`, no empty, `.` or `..` segment. */
function relativePath(value: unknown, field: string, fail: Fail): string {
  const path = stringField(value, field, fail);
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    fail(`${field} ${JSON.stringify(path)} is not a path inside the lake`);
  }
  return path;
}
