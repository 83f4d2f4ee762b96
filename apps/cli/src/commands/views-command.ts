/**
 * `oxbow views list|check|describe NAME`: what the project (setting `project`) defines, validated, with each
 * view's fingerprint.
 */
import {
  type AnyEvent,
  loadProject,
  type Project,
  resolveProjectPath,
  type ViewDefinition,
  ViewsError,
} from '@oxbow/views';
import type { ParsedArgs } from '../args.ts';
import { CliError } from '../errors.ts';
import type { CommandEnvironment } from './stack-command.ts';

/** The flags `oxbow views` takes. */
export const VIEWS_FLAGS = ['json'] as const;

function bucketText(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A view as plain data, for `--json` and the table. */
export function describeView(view: ViewDefinition<AnyEvent>): Record<string, unknown> {
  return {
    name: view.name,
    description: view.description,
    topic: view.topic,
    schema: view.schema.name,
    bucket: bucketText(view.bucketMs),
    bucketMs: view.bucketMs,
    key: view.keyField ?? 'function',
    ...(view.keyMaxLength === undefined ? {} : { keyMaxLength: view.keyMaxLength }),
    filter: view.filter === undefined ? null : view.filter.toString(),
    fields: view.fields.map((field) => ({
      name: field.name,
      kind: field.kind,
      description: field.description,
      ...(field.aggregator.parameters === undefined ? {} : { parameters: field.aggregator.parameters }),
    })),
    fingerprint: view.fingerprint,
  };
}

function projectSummary(project: Project): Record<string, unknown> {
  return {
    source: project.source,
    description: project.description,
    topics: [...project.topics].map(([topic, schema]) => ({
      topic,
      schema: schema.name,
      eventTime: schema.eventTime,
      fields: schema.fields.map(
        (field) => `${field.name}:${field.spec.kind}${field.spec.optional ? '?' : ''}`,
      ),
    })),
    views: project.views.map(describeView),
    live: project.liveViews.map((live) => ({
      name: live.name,
      topic: live.topic,
      description: live.description ?? '',
      personal: live.personal === true,
    })),
    models: project.models.map((model) => ({
      name: model.name,
      topic: model.topic,
      kind: model.kind,
      description: model.description,
      params: model.params,
      fingerprint: model.fingerprint,
    })),
  };
}

function table(rows: readonly string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * Runs `oxbow views …`. `check` exits 1 with the file, the view and the reason when the project does not load.
 *
 * @example
 * // oxbow views describe page_views_hourly --json
 */
export async function runViewsCommand(args: ParsedArgs, env: CommandEnvironment): Promise<number> {
  const [, sub = 'list', name, ...extra] = args.command;
  if (extra.length > 0 || (sub === 'describe' ? name === undefined : name !== undefined)) {
    throw new CliError('OXBOW_USAGE', 'usage: oxbow views list | check | describe NAME [--json]');
  }
  const path = resolveProjectPath(env.config.project);
  let project: Project;
  try {
    project = await loadProject(path);
  } catch (error) {
    if (ViewsError.is(error)) {
      env.output.err(`oxbow views: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const { output } = env;
  switch (sub) {
    case 'list': {
      if (args.flags.json) {
        output.out(JSON.stringify(projectSummary(project), null, 2));
        return 0;
      }
      output.out(`project ${project.source}`);
      output.out(
        table([
          ['VIEW', 'TOPIC', 'BUCKET', 'KEY', 'FIELDS', 'FINGERPRINT'],
          ...project.views.map((view) => [
            view.name,
            view.topic,
            bucketText(view.bucketMs),
            view.keyField ?? 'function',
            view.fields.map((field) => `${field.name}:${field.kind}`).join(' '),
            view.fingerprint,
          ]),
          ...project.liveViews.map((live) => [live.name, live.topic, 'live', '-', '-', '-']),
          ...project.models.map((model) => [
            model.name,
            model.topic,
            'model',
            '-',
            model.kind,
            model.fingerprint,
          ]),
        ]),
      );
      return 0;
    }
    case 'check': {
      const summary = `${project.topics.size} topics, ${project.views.length} views, ${project.liveViews.length} live views, ${project.models.length} models`;
      if (args.flags.json) {
        output.out(JSON.stringify({ ok: true, source: project.source, ...projectSummary(project) }, null, 2));
      } else {
        output.out(`project ${project.source}: OK (${summary})`);
        for (const view of project.views) output.out(`  ${view.name} ${view.fingerprint}`);
      }
      return 0;
    }
    case 'describe': {
      const live = project.liveView(name ?? '');
      if (live !== undefined) {
        const value = { name: live.name, topic: live.topic, description: live.description ?? '', live: true };
        output.out(
          args.flags.json
            ? JSON.stringify(value, null, 2)
            : `${live.name} (live view on ${live.topic}): ${value.description}`,
        );
        return 0;
      }
      if (!project.hasView(name ?? '')) {
        throw new CliError(
          'OXBOW_USAGE',
          `no view "${name}" in ${project.source} (views: ${[...project.views.map((v) => v.name), ...project.liveViews.map((v) => v.name)].join(', ')})`,
        );
      }
      const view = project.view(name ?? '');
      const described = describeView(view);
      if (args.flags.json) {
        output.out(JSON.stringify(described, null, 2));
        return 0;
      }
      output.out(`${view.name}: ${view.description}`);
      output.out(
        `  topic        ${view.topic} (schema ${view.schema.name}, event time ${view.schema.eventTime})`,
      );
      output.out(`  bucket       ${bucketText(view.bucketMs)}`);
      output.out(
        `  key          ${view.keyField ?? 'a function of the event'}${view.keyMaxLength === undefined ? '' : ` (≤ ${view.keyMaxLength} characters)`}`,
      );
      if (view.filter !== undefined) output.out(`  filter       ${view.filter.toString()}`);
      output.out(`  fingerprint  ${view.fingerprint}`);
      output.out('  fields');
      for (const field of view.fields)
        output.out(`    ${field.name.padEnd(14)} ${field.kind.padEnd(10)} ${field.description}`);
      return 0;
    }
    default:
      throw new CliError('OXBOW_USAGE', `unknown views command "${sub}" (list, check, describe NAME)`);
  }
}
