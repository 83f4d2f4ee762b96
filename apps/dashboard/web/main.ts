/**
 * The dashboard page: loads every panel, then refreshes them on a timer (10 s by default). Every call goes to the
 * serving API of the same origin with the stored API key.
 */
import { describeFailure, getJson, storeApiKey, storedApiKey } from './api.ts';
import { fill, h, note } from './dom.ts';
import { renderBatch } from './panels/batch-panel.ts';
import { renderExplorer } from './panels/explorer-panel.ts';
import { renderLiveView } from './panels/live-panel.ts';
import { isTrained, type ModelEntry, renderModels } from './panels/models-panel.ts';
import { renderSpeed } from './panels/speed-panel.ts';
import { renderTop } from './panels/top-panel.ts';
import { renderViews } from './panels/views-panel.ts';
import {
  type DashboardState,
  type RangeChoice,
  rangeOf,
  readHash,
  selectedView,
  watermarkMs,
  writeHash,
} from './state.ts';
import { ThroughputHistory } from './throughput.ts';
import type {
  LiveAnswer,
  ManifestsAnswer,
  ModelAnswer,
  ModelsAnswer,
  ReadinessAnswer,
  SpeedAnswer,
  TopAnswer,
  ViewAnswer,
  ViewsAnswer,
} from './types.ts';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  readiness: element<HTMLSpanElement>('readiness'),
  keyForm: element<HTMLFormElement>('key-form'),
  apiKey: element<HTMLInputElement>('api-key'),
  refreshEvery: element<HTMLSelectElement>('refresh-every'),
  refreshed: element<HTMLSpanElement>('refreshed'),
  views: element<HTMLDivElement>('views'),
  explorerForm: element<HTMLFormElement>('explorer-form'),
  explorerView: element<HTMLSelectElement>('explorer-view'),
  explorerKey: element<HTMLInputElement>('explorer-key'),
  explorerKeys: element<HTMLDataListElement>('explorer-keys'),
  explorerRange: element<HTMLSelectElement>('explorer-range'),
  explorerFrom: element<HTMLInputElement>('explorer-from'),
  explorerTo: element<HTMLInputElement>('explorer-to'),
  explorer: element<HTMLDivElement>('explorer'),
  topBy: element<HTMLSelectElement>('top-by'),
  topLimit: element<HTMLInputElement>('top-limit'),
  top: element<HTMLDivElement>('top'),
  batch: element<HTMLDivElement>('batch'),
  speed: element<HTMLDivElement>('speed'),
  live: element<HTMLDivElement>('live'),
  models: element<HTMLDivElement>('models'),
};

const state: DashboardState = {
  views: undefined,
  manifests: undefined,
  view: '',
  key: '',
  range: 'all',
  from: '',
  to: '',
};
const throughput = new ThroughputHistory();
let refreshes = 0;

async function refreshReadiness(): Promise<void> {
  try {
    const answer = await getJson<ReadinessAnswer>('/readyz', {}, { acceptStatuses: [503] });
    const failing = Object.entries(answer.checks)
      .filter(([, check]) => !check.ok)
      .map(([name, check]) => `${name}: ${check.message ?? 'failing'}`);
    ui.readiness.className = `badge ${answer.ready ? 'ok' : 'down'}`;
    ui.readiness.textContent = answer.ready ? 'ready' : 'not ready';
    ui.readiness.title = failing.join('; ');
  } catch (error) {
    ui.readiness.className = 'badge down';
    ui.readiness.textContent = 'unreachable';
    ui.readiness.title = describeFailure(error);
  }
}

function pickView(name: string): void {
  if (state.view !== name) state.key = '';
  state.view = name;
  ui.explorerView.value = name;
  writeHash(state);
  void Promise.all([refreshExplorer(), refreshTop()]);
  ui.explorer.scrollIntoView({ behavior: 'smooth', block: 'start' });
}

function pickKey(key: string): void {
  state.key = key;
  ui.explorerKey.value = key;
  writeHash(state);
  void refreshExplorer();
}

async function refreshViews(): Promise<void> {
  try {
    state.views = await getJson<ViewsAnswer>('/v1/views');
  } catch (error) {
    fill(ui.views, note(describeFailure(error), 'error'));
    return;
  }
  const views = state.views.views;
  fill(ui.views, renderViews(state.views, pickView));
  if (!views.some((view) => view.name === state.view)) state.view = views[0]?.name ?? '';
  const options = views.map((view) => h('option', { value: view.name }, view.name));
  if (ui.explorerView.options.length !== options.length) fill(ui.explorerView, ...options);
  ui.explorerView.value = state.view;
}

async function refreshManifests(): Promise<void> {
  try {
    state.manifests = await getJson<ManifestsAnswer>('/v1/batch/manifests', { limit: 10 });
    fill(ui.batch, ...renderBatch(state.manifests));
  } catch (error) {
    fill(ui.batch, note(describeFailure(error), 'error'));
  }
}

async function refreshSpeed(): Promise<void> {
  try {
    const answer = await getJson<SpeedAnswer>('/v1/speed/status');
    throughput.add({
      atMs: Date.now(),
      records: answer.topics.reduce((sum, topic) => sum + topic.records, 0),
    });
    renderSpeed(ui.speed, answer, throughput);
  } catch (error) {
    fill(ui.speed, note(describeFailure(error), 'error'));
  }
}

async function refreshExplorer(): Promise<void> {
  const view = selectedView(state);
  if (!view) {
    fill(ui.explorer, note(state.views ? 'the project has no views' : 'views not loaded'));
    return;
  }
  const { from, to } = rangeOf(state);
  try {
    if (state.key === '' && view.rankBy.length > 0) {
      // No key chosen yet: the busiest key of the view.
      const top = await getJson<TopAnswer>(`/v1/views/${encodeURIComponent(view.name)}/top`, {
        by: view.rankBy[0],
        limit: 1,
      });
      state.key = top.keys[0]?.key ?? '';
      ui.explorerKey.value = state.key;
    }
    const answer = await getJson<ViewAnswer>(`/v1/views/${encodeURIComponent(view.name)}`, {
      key: state.key,
      from,
      to,
    });
    renderExplorer(ui.explorer, view, answer, watermarkMs(state));
  } catch (error) {
    fill(ui.explorer, note(`${view.name} "${state.key}": ${describeFailure(error)}`, 'error'));
  }
}

async function refreshTop(): Promise<void> {
  const view = selectedView(state);
  if (!view) return;
  if ([...ui.topBy.options].map((option) => option.value).join() !== view.rankBy.join()) {
    fill(ui.topBy, ...view.rankBy.map((by) => h('option', { value: by }, by)));
  }
  const by = ui.topBy.value || view.rankBy[0];
  if (by === undefined) {
    fill(ui.top, note(`${view.name} has no field to rank by`));
    return;
  }
  const limit = Math.min(100, Math.max(1, Number(ui.topLimit.value) || 10));
  const { from, to } = rangeOf(state);
  try {
    const answer = await getJson<TopAnswer>(`/v1/views/${encodeURIComponent(view.name)}/top`, {
      by,
      limit,
      from,
      to,
    });
    fill(ui.top, h('p', { class: 'note' }, `${view.name} by ${by}`), renderTop(view, answer, pickKey));
    fill(ui.explorerKeys, ...answer.keys.map((entry) => h('option', { value: entry.key })));
  } catch (error) {
    fill(ui.top, note(`${view.name}: ${describeFailure(error)}`, 'error'));
  }
}

async function refreshLive(): Promise<void> {
  const liveViews = state.views?.liveViews ?? [];
  if (liveViews.length === 0) {
    fill(ui.live, note('the project has no live views'));
    return;
  }
  const cards = await Promise.all(
    liveViews.map(async (info) => {
      try {
        return renderLiveView(info, await getJson<LiveAnswer>(`/v1/live/${encodeURIComponent(info.name)}`));
      } catch (error) {
        return renderLiveView(info, error instanceof Error ? error : new Error(String(error)));
      }
    }),
  );
  fill(ui.live, ...cards);
}

async function refreshModels(): Promise<void> {
  let listed: ModelsAnswer;
  try {
    listed = await getJson<ModelsAnswer>('/v1/models');
  } catch (error) {
    renderModels(ui.models, error instanceof Error ? error : new Error(String(error)));
    return;
  }
  const entries = await Promise.all(
    listed.models.map(async (model): Promise<ModelEntry> => {
      if (!isTrained(model)) return { listed: model, detail: undefined };
      try {
        return {
          listed: model,
          detail: await getJson<ModelAnswer>(`/v1/models/${encodeURIComponent(model.name)}`),
        };
      } catch (error) {
        return { listed: model, detail: error instanceof Error ? error : new Error(String(error)) };
      }
    }),
  );
  renderModels(ui.models, entries);
}

let running: Promise<void> | undefined;

/** Refreshes every panel (once at a time: a tick during a refresh is skipped). */
function refreshAll(): Promise<void> {
  running ??= (async () => {
    await Promise.all([
      refreshReadiness(),
      refreshViews(),
      refreshManifests(),
      refreshSpeed(),
      refreshModels(),
    ]);
    await Promise.all([refreshExplorer(), refreshTop(), refreshLive()]);
    refreshes++;
    document.body.dataset.refreshes = String(refreshes);
    ui.refreshed.textContent = `refreshed ${new Date().toISOString().slice(11, 19)}Z`;
  })().finally(() => {
    running = undefined;
  });
  return running;
}

let timer: ReturnType<typeof setInterval> | undefined;

function schedule(): void {
  if (timer !== undefined) clearInterval(timer);
  const every = Number(ui.refreshEvery.value);
  timer = every > 0 ? setInterval(() => void refreshAll(), every) : undefined;
}

function syncRangeInputs(): void {
  const custom = state.range === 'custom';
  ui.explorerFrom.disabled = !custom;
  ui.explorerTo.disabled = !custom;
}

ui.apiKey.value = storedApiKey();
ui.keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  storeApiKey(ui.apiKey.value.trim());
  void refreshAll();
});
ui.refreshEvery.addEventListener('change', schedule);
ui.explorerView.addEventListener('change', () => pickView(ui.explorerView.value));
ui.explorerRange.addEventListener('change', () => {
  state.range = ui.explorerRange.value as RangeChoice;
  syncRangeInputs();
});
ui.explorerForm.addEventListener('submit', (event) => {
  event.preventDefault();
  state.view = ui.explorerView.value;
  state.key = ui.explorerKey.value;
  state.range = ui.explorerRange.value as RangeChoice;
  state.from = ui.explorerFrom.value;
  state.to = ui.explorerTo.value;
  writeHash(state);
  void Promise.all([refreshExplorer(), refreshTop()]);
});
ui.topBy.addEventListener('change', () => void refreshTop());
ui.topLimit.addEventListener('change', () => void refreshTop());

readHash(state);
ui.explorerKey.value = state.key;
ui.explorerRange.value = state.range;
ui.explorerFrom.value = state.from;
ui.explorerTo.value = state.to;
syncRangeInputs();
schedule();
void refreshAll();
