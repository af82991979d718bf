import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, whether we run from src/ (tsx) or dist/src/ (built). */
function findProjectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const projectRoot = findProjectRoot();
export const viewsDir = path.join(projectRoot, 'views');
export const assetsDir = path.join(projectRoot, 'views', 'assets');
export const migrationsDir = path.join(projectRoot, 'migrations');
export const localesDir = path.join(projectRoot, 'src', 'i18n');
/** Chart.js's browser build, served at /assets/vendor (the analytics charts). */
export const chartJsDir = path.join(projectRoot, 'node_modules', 'chart.js', 'dist');
