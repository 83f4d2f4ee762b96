/** How the page writes numbers, durations and times. */

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** `1234.567` → `1,234.57`; `null` → `—`. */
export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : NUMBER.format(value);
}

const PARAMETER = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 });

/**
 * A model parameter (a center's coordinate, a weight): six significant digits, so small weights are not rounded
 * to 0 (`0.000123456789` → `0.000123457`, `-27.93456` → `-27.9346`); `null` → `—`.
 */
export function formatParameter(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : PARAMETER.format(value);
}

/** `1530` → `1.53 s`, `420` → `420 ms`, `95000` → `1.6 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** An ISO time as `2026-11-24 13:00:00Z` (UTC, like the API); `null` → `—`. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A field's value in a table cell: numbers formatted, quantiles as `p50 / p95 / p99`, other JSON compact. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number' || value === null) return formatNumber(value);
  if (isQuantiles(value))
    return `${formatNumber(value.p50)} / ${formatNumber(value.p95)} / ${formatNumber(value.p99)}`;
  const text = JSON.stringify(value) ?? '';
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/** Whether a value is a quantiles field's `{ p50, p95, p99 }`. */
export function isQuantiles(
  value: unknown,
): value is { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null } {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && 'p50' in value && 'p99' in value
  );
}
