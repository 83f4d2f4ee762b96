/**
 * The dashboard's Node side: where its bundle is built and how to build it. The page itself is in `web/` (built
 * by Vite into `dist/`), which the serving app serves at `/` when `dist/index.html` exists.
 */
export {
  buildDashboard,
  DASHBOARD_DIST_DIR,
  ensureDashboardBuilt,
  isDashboardBuilt,
} from './build-dashboard.ts';
