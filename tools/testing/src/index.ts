export { default as ClosingLineReporter } from './closing-line-reporter.ts';
