/**
 * The project's models (`GET /v1/models`, then `GET /v1/models/:name` for each trained one): kind, topic, which
 * layer's version is served (batch, or speed when the speed layer updated it after the batch version), version,
 * time, examples, and the model itself — a k-means model's centers as a table (and, over two features, a scatter
 * of them), a linear regression's weights and intercept.
 */
import type uPlot from 'uplot';
import { describeFailure } from '../api.ts';
import { h, note, table } from '../dom.ts';
import { formatNumber, formatParameter, formatTime } from '../format.ts';
import {
  type KMeansContent,
  type LinearRegressionContent,
  type ModelContent,
  readModelContent,
} from '../model-content.ts';
import { drawScatter } from '../scatter.ts';
import type { ModelAnswer, ModelNotTrained, ModelVersion } from '../types.ts';
import { tile } from './batch-panel.ts';

/** One model of the list with its latest version: the answer, why it could not be read, or none (not trained). */
export interface ModelEntry {
  readonly listed: ModelVersion | ModelNotTrained;
  readonly detail: ModelAnswer | Error | undefined;
}

/** Whether a listed model has a version (`trained: false` otherwise). */
export function isTrained(model: ModelVersion | ModelNotTrained): model is ModelVersion {
  return !('trained' in model && model.trained === false);
}

/** The scatters drawn by the last render (destroyed by the next). */
let charts: uPlot[] = [];

/** A feature's name in the tables: the API does not carry the project's feature names. */
const featureName = (index: number): string => `feature ${index + 1}`;

function centersPart(name: string, content: KMeansContent, draws: (() => void)[]): HTMLElement {
  const dimension = content.centers[0]?.length ?? 0;
  const features = Array.from({ length: dimension }, (_, index) => index);
  const weights = content.centerWeights;
  const centers = table(
    ['center', ...features.map(featureName), ...(weights ? [weights.label] : [])],
    content.centers.map((center, index) => [
      String(index + 1),
      ...center.map((value, feature) =>
        h('span', { 'data-testid': `model-${name}-center-${index}-${feature}` }, formatParameter(value)),
      ),
      ...(weights
        ? [
            h(
              'span',
              { 'data-testid': `model-${name}-center-${index}-${weights.label}` },
              formatNumber(weights.values[index]),
            ),
          ]
        : []),
    ]),
    { 'data-testid': `model-${name}-centers`, class: 'compact' },
  );
  const training = content.training;
  const parts: HTMLElement[] = [
    h('h4', {}, `${content.centers.length} centers over ${dimension} features`),
    centers,
  ];
  if (training) {
    parts.push(
      note(
        `batch training: cost ${formatParameter(training.cost)} after ${training.iterations} iterations (${training.converged ? 'converged' : 'not converged'})`,
      ),
    );
  }
  if (dimension === 2) {
    const cell = h('div', { class: 'chart', 'data-testid': `model-${name}-scatter` });
    parts.push(cell);
    draws.push(() => {
      charts.push(
        drawScatter(cell, {
          title: 'centers',
          points: content.centers.map((center) => [center[0] ?? 0, center[1] ?? 0] as const),
          xLabel: featureName(0),
          yLabel: featureName(1),
        }),
      );
    });
  }
  return h('div', {}, ...parts);
}

/** `61.3 − 27.9·x₁ + 142.6·x₂` */
function formula(content: LinearRegressionContent): string {
  let text = formatParameter(content.intercept);
  content.weights.forEach((weight, index) => {
    text += `${weight < 0 ? ' − ' : ' + '}${formatParameter(Math.abs(weight))}·x${index + 1}`;
  });
  return text;
}

function weightsPart(name: string, content: LinearRegressionContent): HTMLElement {
  const weights = table(
    ['term', 'weight'],
    [
      ...content.weights.map((weight, index) => [
        `${featureName(index)} (x${index + 1})`,
        h('span', { 'data-testid': `model-${name}-weight-${index}` }, formatParameter(weight)),
      ]),
      [
        'intercept',
        h('span', { 'data-testid': `model-${name}-intercept` }, formatParameter(content.intercept)),
      ],
    ],
    { 'data-testid': `model-${name}-weights`, class: 'compact' },
  );
  const training = content.training;
  return h(
    'div',
    {},
    h('h4', {}, 'prediction = ', h('code', { 'data-testid': `model-${name}-formula` }, formula(content))),
    weights,
    training
      ? note(
          `batch training: ${training.iterations} iterations (${training.converged ? 'converged' : 'not converged'})${training.finalLoss === undefined ? '' : `, last loss ${formatParameter(training.finalLoss)}`}`,
        )
      : null,
  );
}

function contentPart(name: string, content: ModelContent, draws: (() => void)[]): HTMLElement {
  if (content.type === 'kmeans') return centersPart(name, content, draws);
  if (content.type === 'linear-regression') return weightsPart(name, content);
  const text = JSON.stringify(content.json, null, 2) ?? '';
  return h('pre', {}, text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text);
}

function versionTiles(name: string, version: ModelVersion): HTMLElement {
  return h(
    'div',
    { class: 'tiles' },
    tile('source', version.source, `model-${name}-source`),
    tile('version', version.version, `model-${name}-version`),
    tile(version.source === 'batch' ? 'published' : 'updated', formatTime(version.updatedAt)),
    tile('examples seen', formatNumber(version.examples), `model-${name}-examples`),
    tile('definition', version.current ? 'as declared' : 'changed since trained', `model-${name}-current`),
  );
}

function modelCard(entry: ModelEntry, draws: (() => void)[]): HTMLElement {
  const { listed, detail } = entry;
  const name = listed.name;
  const version = detail instanceof Error || detail === undefined ? undefined : detail;
  const source = version?.source ?? (isTrained(listed) ? listed.source : undefined);
  let body: (HTMLElement | null)[];
  if (!isTrained(listed) && detail === undefined) {
    body = [
      note(
        'not trained yet: no batch version publishes it and the speed layer has not updated it (no events of its topic yet)',
      ),
    ];
  } else if (detail instanceof Error) {
    body = [note(describeFailure(detail), 'error')];
  } else if (version !== undefined) {
    body = [versionTiles(name, version), contentPart(name, readModelContent(version.model), draws)];
  } else {
    body = [];
  }
  return h(
    'div',
    { class: 'card model', 'data-testid': `model-${name}` },
    h(
      'h3',
      {},
      name,
      h('span', { class: 'badge', 'data-testid': `model-${name}-kind` }, listed.kind),
      source === undefined
        ? h('span', { class: 'badge' }, 'not trained')
        : h('span', { class: `badge part-${source === 'batch' ? 'batch' : 'realtime'}` }, source),
    ),
    h('p', { class: 'description' }, `learns from topic ${listed.topic}`),
    ...body,
  );
}

/** Renders the models panel into `output`: a card per model, or why the list could not be read. */
export function renderModels(output: HTMLElement, result: readonly ModelEntry[] | Error): void {
  for (const chart of charts) chart.destroy();
  charts = [];
  if (result instanceof Error) {
    output.replaceChildren(note(describeFailure(result), 'error'));
    return;
  }
  if (result.length === 0) {
    output.replaceChildren(note('the project declares no models (defineModel)'));
    return;
  }
  const draws: (() => void)[] = [];
  output.replaceChildren(...result.map((entry) => modelCard(entry, draws)));
  // Charts size themselves to their cell: draw them once the cards are on the page.
  for (const draw of draws) draw();
}
