// Vitest global setup: bundles the dashboard's browser module (dist/dashboard/app.js), which in-process brokers serve,
// so that a test run straight after editing src/http/dashboard/app needs no separate build (esbuild takes ~0.1 s).
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'bundle:dashboard'], { cwd: new URL('..', import.meta.url).pathname, stdio: 'inherit' });
}
