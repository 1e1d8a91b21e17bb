/**
 * etcd as the peer in `npm run bench -- --peers` (issue 14): three members of Debian's
 * etcd 3.4 (`etcd-server`) on loopback ports, each with its own temp data dir (the WAL is
 * fsynced on every commit, etcd's default), driven over its HTTP/JSON gateway (`/v3/kv/put`)
 * with keep-alive connections: the only etcd client that needs no extra npm dependency. The
 * gateway sits in front of the same gRPC server etcdctl uses, so its figures include one
 * JSON translation per request; the notes in bench/RESULTS.md say so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/natsServer.js';

export interface EtcdTiming {
  heartbeatMs: number;
  electionMs: number;
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process: ChildProcess | null;
  /** etcd's member id (hex), learned from its status. */
  id: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** Installs Debian's etcd-server when `etcd` is missing (as root, like .ci/run does for nats-server). */
export function ensureEtcd(): string {
  const which = () => spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).stdout.trim();
  let path = which();
  if (!path) {
    console.error('etcd not found: installing Debian etcd-server (apt-get)');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', 'etcd-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    path = which();
    if (r.status !== 0 || !path) throw new Error('etcd is not installed and `apt-get install -y etcd-server` failed: install it by hand (Debian package etcd-server)');
  }
  return path;
}

export function etcdVersion(bin: string): string {
  const out = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout;
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

/** POSTs JSON to one member's gateway; rejects on an HTTP error, an etcd error body or the timeout. */
export function etcdCall(url: string, path: string, body: object, timeoutMs = 5000): Promise<any> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(`${url}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) return reject(new Error(`etcd ${path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
        try {
          const parsed = JSON.parse(text);
          if (parsed.error) return reject(new Error(`etcd ${path}: ${parsed.error}`));
          resolve(parsed);
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`etcd ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function etcdPut(url: string, key: string, value: string, timeoutMs?: number): Promise<unknown> {
  return etcdCall(url, '/v3/kv/put', { key: b64(key), value: b64(value) }, timeoutMs);
}

/** Three members on loopback, started together; resolves once a leader answers puts. */
export class EtcdCluster {
  readonly members: EtcdMember[] = [];
  private readonly root: string;

  private constructor(
    private readonly bin: string,
    readonly timing: EtcdTiming,
  ) {
    this.root = mkdtempSync(join(tmpdir(), 'glup-bench-etcd-'));
  }

  static async start(bin: string, timing: EtcdTiming, size = 3): Promise<EtcdCluster> {
    const c = new EtcdCluster(bin, timing);
    for (let i = 1; i <= size; i++) {
      const name = `e${i}`;
      c.members.push({ name, clientUrl: `http://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}`, dataDir: join(c.root, name), process: null, id: '' });
    }
    for (const m of c.members) c.spawn(m, 'new');
    await c.waitHealthy(30_000);
    return c;
  }

  private spawn(m: EtcdMember, state: 'new' | 'existing'): void {
    const initialCluster = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const args = [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl,
      '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl,
      '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', 'glup-bench',
      '--heartbeat-interval', String(this.timing.heartbeatMs),
      '--election-timeout', String(this.timing.electionMs),
      '--logger', 'zap',
      '--log-level', 'error',
    ];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
    child.on('exit', (code, signal) => {
      if (m.process === child) m.process = null;
      if (code && code !== 0 && !signal) console.error(`etcd ${m.name} exited with ${code}: ${stderr}`);
    });
    m.process = child;
  }

  live(): EtcdMember[] {
    return this.members.filter((m) => m.process);
  }

  /** The leader's member, as the live members report it (null while there is none). */
  async leader(timeoutMs = 200): Promise<EtcdMember | null> {
    for (const m of this.live()) {
      try {
        const s = await etcdCall(m.clientUrl, '/v3/maintenance/status', {}, timeoutMs);
        m.id = String(s.header?.member_id ?? m.id);
        const leaderId = String(s.leader ?? '');
        const leader = this.members.find((x) => x.id === leaderId && x.process);
        if (leader) return leader;
        // ids of members not asked yet: ask them too, so the leader is recognised
        for (const x of this.live()) {
          if (x.id) continue;
          const sx = await etcdCall(x.clientUrl, '/v3/maintenance/status', {}, timeoutMs).catch(() => null);
          if (sx) x.id = String(sx.header?.member_id ?? '');
        }
        const again = this.members.find((x) => x.id === leaderId && x.process);
        if (again) return again;
      } catch {
        // this member does not answer (yet): ask the next
      }
    }
    return null;
  }

  async waitHealthy(timeoutMs: number): Promise<EtcdMember> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = await this.leader();
      if (l && this.live().length === this.members.length) {
        try {
          // every member answers a put: the cluster is whole again
          for (const m of this.members) await etcdPut(m.clientUrl, 'bench/health', 'ok', 1000);
          return l;
        } catch {
          // not yet
        }
      }
      if (Date.now() > deadline) throw new Error(`etcd cluster not healthy within ${timeoutMs} ms (live: ${this.live().map((m) => m.name).join(', ')})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGKILL, like a crash: the member's data dir stays for its restart. */
  kill(m: EtcdMember): void {
    m.process?.kill('SIGKILL');
    m.process = null;
  }

  restart(m: EtcdMember): void {
    this.spawn(m, 'existing');
  }

  async stop(): Promise<void> {
    const exits = this.members.map((m) => (m.process ? new Promise((r) => m.process!.once('exit', r)) : null));
    for (const m of this.members) m.process?.kill('SIGKILL');
    await Promise.all(exits);
    rmSync(this.root, { recursive: true, force: true });
  }
}
