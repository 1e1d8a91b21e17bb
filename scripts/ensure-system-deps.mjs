// pretest: the test suite needs nats-server, chromium and promtool (Debian packages
// nats-server, chromium and prometheus) on PATH: the NATS tests start nats-server, the browser
// tests drive chromium through playwright-core, the metrics test runs promtool. Installs them
// when missing and we are root with apt-get; otherwise says exactly what to run.
import { spawnSync } from 'node:child_process';

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const needs = [
  { bin: 'nats-server', pkg: 'nats-server' },
  { bin: 'chromium', pkg: 'chromium' },
  { bin: 'promtool', pkg: 'prometheus' },
];
const missing = needs.filter((n) => !has(n.bin));
if (missing.length === 0) process.exit(0);
const pkgs = missing.map((m) => m.pkg).join(' ');
const isRoot = process.getuid?.() === 0;
if (!isRoot || !has('apt-get')) {
  console.error(`glup tests need: ${pkgs}. Install them with: sudo apt-get install -y ${pkgs}`);
  process.exit(1);
}
console.error(`installing ${pkgs} from Debian (apt-get install -y ${pkgs})`);
const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
const install = spawnSync('apt-get', ['install', '-y', '-qq', ...missing.map((m) => m.pkg)], {
  stdio: 'inherit',
  env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
});
if (update.status !== 0 || install.status !== 0) {
  console.error(`could not install ${pkgs}; run: apt-get install -y ${pkgs}`);
  process.exit(1);
}
