/**
 * Starts a private Apache httpd with mod_auth_openidc for one test file: a generated
 * httpd.conf in a temp dir, a free loopback port, only the modules the recipe needs, logs in
 * the temp dir, no system configuration and no system service. Without Apache or the module
 * the suite is skipped with a clear reason, except under `CI=true`, where that is a failure.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const APACHE_BINARY = '/usr/sbin/apache2';
const MODULES_DIR = '/usr/lib/apache2/modules';
export const OPENIDC_MODULE = `${MODULES_DIR}/mod_auth_openidc.so`;

/** false when the Apache suite can run; otherwise why it is skipped. Throws under CI. */
export function apacheSkipReason(): string | false {
  const missing = [APACHE_BINARY, OPENIDC_MODULE].filter((path) => !existsSync(path));
  if (missing.length === 0) return false;
  const reason = `${missing.join(' and ')} missing (apt-get install apache2 libapache2-mod-auth-openidc): mod_auth_openidc suite skipped`;
  if (process.env.CI === 'true') throw new Error(`${reason} — under CI=true this is a failure`);
  console.warn(`# SKIP ${reason}`);
  return reason;
}

export interface ApacheOptions {
  port: number;
  /** Directives of the server context (the relying party's OIDC* settings). */
  directives: string[];
  /** `<Location>` blocks etc., appended after the directives. */
  blocks: string[];
  /** Static files below the document root, by relative path. */
  files: Record<string, string>;
}

export interface ApacheServer {
  url: string;
  dir: string;
  /** The error log so far (for failure messages). */
  errorLog(): string;
  stop(): Promise<void>;
}

const MODULES = [
  // One process (-X) of prefork: no threads, nothing to coordinate.
  ['mpm_prefork_module', 'mod_mpm_prefork.so'],
  ['authn_core_module', 'mod_authn_core.so'],
  ['authz_core_module', 'mod_authz_core.so'],
  // `Require valid-user` is provided by mod_authz_user.
  ['authz_user_module', 'mod_authz_user.so'],
  ['headers_module', 'mod_headers.so'],
  ['dir_module', 'mod_dir.so'],
  ['mime_module', 'mod_mime.so'],
  ['auth_openidc_module', 'mod_auth_openidc.so'],
];

function httpdConf(dir: string, options: ApacheOptions): string {
  // Started as root (a container), Apache drops to an unprivileged user for requests.
  const user = process.getuid?.() === 0 ? ['User www-data', 'Group www-data'] : [];
  return [
    `ServerRoot ${dir}`,
    'ServerName 127.0.0.1',
    `Listen 127.0.0.1:${options.port}`,
    `PidFile ${dir}/httpd.pid`,
    `DefaultRuntimeDir ${dir}`,
    `Mutex file:${dir} default`,
    `ErrorLog ${dir}/error.log`,
    'LogLevel warn auth_openidc:debug',
    'TypesConfig /dev/null',
    // One process serves one connection at a time: an idle keep-alive client would block the next.
    'KeepAlive Off',
    ...MODULES.map(([name, file]) => `LoadModule ${name} ${MODULES_DIR}/${file}`),
    ...user,
    `DocumentRoot ${dir}/htdocs`,
    'DirectoryIndex index.html',
    ...options.directives,
    ...options.blocks,
    '',
  ].join('\n');
}

/** Resolves once Apache accepts connections; rejects when it exits first. */
async function waitListening(child: ChildProcess, port: number, errorLog: () => string): Promise<void> {
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `apache2 exited (${code ?? signal}): ${errorLog().slice(-2000)}`;
  });
  for (let attempt = 0; attempt < 400; attempt++) {
    if (exited) throw new Error(exited);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`apache2 did not listen on ${port}: ${errorLog().slice(-2000)}`);
}

export async function startApache(options: ApacheOptions): Promise<ApacheServer> {
  const dir = mkdtempSync(join(tmpdir(), 'anteroom-apache-'));
  // Readable by the unprivileged user the requests run as.
  chmodSync(dir, 0o755);
  for (const [path, content] of Object.entries(options.files)) {
    const file = join(dir, 'htdocs', path);
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(file, content, { mode: 0o644 });
  }
  const conf = join(dir, 'httpd.conf');
  writeFileSync(conf, httpdConf(dir, options));
  let stderr = '';
  const errorLog = () => {
    try {
      return `${stderr}${readFileSync(join(dir, 'error.log'), 'utf8')}`;
    } catch {
      return stderr;
    }
  };

  // The configuration test names a bad directive precisely; the server would only exit.
  const check = spawnSync(APACHE_BINARY, ['-t', '-f', conf], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`apache2 -t refused the configuration: ${check.stderr}${check.stdout}`);
  }

  // Before the error log is open, Apache and the module write to stderr: keep it for failures.
  const child = spawn(APACHE_BINARY, ['-X', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    await waitListening(child, options.port, errorLog);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${options.port}`,
    dir,
    errorLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
