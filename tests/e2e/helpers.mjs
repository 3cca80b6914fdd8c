// Shared pieces of the end-to-end tests: a fake upstream (tests/fakes/fake_upstream), a temporary
// LITELLM_HOME whose config.yaml points one Anthropic-format and one OpenAI-format deployment at
// it, and the real litellmd on port 0 in that home. Everything listens on 127.0.0.1 only, every
// wait is bounded, and stop() (also run on process exit) terminates what was started.
//
// Binaries come from the environment: FAKE_UPSTREAM_BIN, LITELLMD_BIN, LITELLMCTL_BIN.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before } from 'node:test';

export const MASTER_KEY = 'sk-e2e-master-0123456789abcdef';
export const ANTHROPIC_UPSTREAM_KEY = 'sk-ant-e2e-upstream-key';
export const OPENAI_UPSTREAM_KEY = 'sk-openai-e2e-upstream-key';
export const FAKE_TEXT = 'Hello from the fake upstream.';

/// The two deployments every test goes through: the name clients use, the upstream's own model
/// id, and the path litellmd must call on the fake.
/// ChatGPT Codex on the same fake (Responses, streamed only), for the clients that reach it.
export const CODEX_DEPLOYMENT = {
  label: 'codex upstream',
  name: 'e2e-codex',
  upstreamModel: 'gpt-fake-codex',
  upstreamPath: '/backend-api/codex/responses',
};

export const GEMINI_DEPLOYMENT = {
  label: 'gemini api upstream',
  name: 'e2e-gemini',
  upstreamModel: 'gemini-fake-1',
  upstreamPath: '/v1beta/models/gemini-fake-1:streamGenerateContent',
};
export const GEMINI_UPSTREAM_KEY = 'AIza-e2e-gemini-key';
export const GEMINI_CLI_DEPLOYMENT = {
  label: 'gemini code assist upstream',
  name: 'e2e-gemini-cli',
  upstreamModel: 'gemini-fake-1',
  upstreamPath: '/v1internal:streamGenerateContent',
};

export const DEPLOYMENTS = [
  {
    label: 'anthropic-format upstream',
    name: 'e2e-anthropic',
    upstreamModel: 'claude-fake-1',
    upstreamPath: '/v1/messages',
    upstreamKey: ANTHROPIC_UPSTREAM_KEY,
  },
  {
    label: 'openai-format upstream',
    name: 'e2e-openai',
    upstreamModel: 'gpt-fake-1',
    upstreamPath: '/v1/chat/completions',
    upstreamKey: OPENAI_UPSTREAM_KEY,
  },
];

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/// The absolute path in env var `name`; throws a clear error when unset or not executable.
export function binFromEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (path to the binary; see tests/e2e/run)`);
  const abs = path.resolve(value);
  try {
    accessSync(abs, constants.X_OK);
  } catch {
    throw new Error(`${name}=${value}: not an executable file`);
  }
  return abs;
}

/// An environment for child processes without variables that could redirect them elsewhere
/// (a real LITELLM_HOME, proxies, real provider keys), plus `extra`.
export function cleanEnv(extra = {}) {
  const env = {};
  const drop = /^(LITELLM_|NOTIFY_SOCKET$|ANTHROPIC_|OPENAI_|CLAUDE_|HTTPS?_PROXY$|ALL_PROXY$|NO_PROXY$)/i;
  for (const [k, v] of Object.entries(process.env)) {
    if (!drop.test(k)) env[k] = v;
  }
  env.NO_PROXY = env.no_proxy = '127.0.0.1,localhost';
  return { ...env, ...extra };
}

// Children still running, so that they die with this process even when a test or the runner
// is interrupted before after() runs. Detached children are killed with their process group.
const live = new Set();

function killAllNow() {
  for (const child of live) {
    try {
      if (child._e2eGroup) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {}
  }
}

process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killAllNow();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}

function track(child, { group = false } = {}) {
  child._e2eGroup = group;
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/// Resolves with {code, signal} when `child` exits, or null after `ms`.
export function waitExit(child, ms) {
  if (exited(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(null);
    }, ms);
    const onExit = (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    };
    child.once('exit', onExit);
  });
}

/// SIGTERM, a bounded wait, then SIGKILL. Returns the exit {code, signal}.
export async function terminate(child, ms = STOP_TIMEOUT_MS) {
  if (!child) return null;
  if (exited(child)) return { code: child.exitCode, signal: child.signalCode };
  child.kill('SIGTERM');
  let result = await waitExit(child, ms);
  if (!result) {
    child.kill('SIGKILL');
    result = await waitExit(child, 5_000);
  }
  return result;
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function startFake(bin, recordFile, dir) {
  const child = track(
    spawn(bin, ['--port', '0', '--record', recordFile], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fake_upstream printed no PORT line in ${START_TIMEOUT_MS} ms: ${out}${stderr}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^PORT (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`fake_upstream exited early (code ${code}, signal ${signal}): ${stderr}`));
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  child.stdout.resume();
  return { child, port };
}

function configYaml(fakePort, masterKey) {
  const base = `http://127.0.0.1:${fakePort}`;
  return `# Written by tests/e2e/helpers.mjs
model_list:
  - model_name: e2e-anthropic
    litellm_params:
      model: anthropic/claude-fake-1
      api_base: ${base}
      api_key: ${ANTHROPIC_UPSTREAM_KEY}
  - model_name: e2e-openai
    litellm_params:
      model: openai/gpt-fake-1
      api_base: ${base}/v1
      api_key: ${OPENAI_UPSTREAM_KEY}
  - model_name: e2e-codex
    litellm_params:
      model: chatgpt/gpt-fake-codex
      api_base: ${base}/backend-api/codex
  - model_name: e2e-gemini
    litellm_params:
      model: gemini/gemini-fake-1
      api_base: ${base}/v1beta
      api_key: ${GEMINI_UPSTREAM_KEY}
  - model_name: e2e-gemini-cli
    litellm_params:
      model: gemini-cli/gemini-fake-1
      api_base: ${base}/v1internal
${masterKey ? `general_settings:\n  master_key: ${MASTER_KEY}\n` : ''}`;
}

function ctlStatus(ctlBin, home) {
  const r = spawnSync(ctlBin, ['--home', home, 'status', '--json'], {
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 5_000,
  });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
}

/// Starts fake_upstream and litellmd in a fresh temporary home, with a master key unless
/// `masterKey` is false (then litellmd trusts any local program). Returns the stack; always
/// call stop() (e.g. in after()).
export async function startStack({ masterKey = true } = {}) {
  const fakeBin = binFromEnv('FAKE_UPSTREAM_BIN');
  const daemonBin = binFromEnv('LITELLMD_BIN');
  const ctlBin = binFromEnv('LITELLMCTL_BIN');

  const dir = mkdtempSync(path.join(tmpdir(), 'litellmd-e2e-'));
  const home = path.join(dir, 'home');
  const recordFile = path.join(dir, 'upstream.jsonl');
  const stack = {
    dir,
    home,
    recordFile,
    fake: null,
    daemon: null,
    fakePort: 0,
    port: 0,
    baseURL: '',
    /// Every request the fake received so far, parsed.
    upstreamRequests() {
      if (!existsSync(recordFile)) return [];
      return readFileSync(recordFile, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l));
    },
    /// How many requests the fake received so far.
    upstreamCount() {
      return this.upstreamRequests().length;
    },
    /// The requests received after the first `since`.
    upstreamSince(since) {
      return this.upstreamRequests().slice(since);
    },
    /// The daemon's log tail (plus stderr lines that are not in the log), for failure messages.
    diagnostics() {
      const log = tail(path.join(home, 'logs', 'litellmd.log'), 30);
      const logged = new Set(log.split('\n'));
      const stderr = tail(path.join(dir, 'litellmd.stderr'), 200)
        .split('\n')
        .filter((l) => l.trim() && !logged.has(l))
        .slice(-20)
        .join('\n');
      return `--- litellmd log (${path.join(home, 'logs', 'litellmd.log')}):\n${log}` + (stderr ? `\n--- litellmd stderr:\n${stderr}` : '');
    },
    async stop() {
      const d = await terminate(this.daemon);
      await terminate(this.fake);
      const keep = process.env.E2E_KEEP === '1';
      if (keep) {
        console.error(`e2e: kept ${dir}`);
      } else {
        rmSync(dir, { recursive: true, force: true });
      }
      // litellmd drains and exits 0 on SIGTERM.
      return d;
    },
  };

  try {
    const fake = await startFake(fakeBin, recordFile, dir);
    stack.fake = fake.child;
    stack.fakePort = fake.port;

    // litellmd creates the home's subdirectories itself; config.yaml must exist first.
    mkdirSync(home);
    writeFileSync(path.join(home, 'config.yaml'), configYaml(fake.port, masterKey));
    // A ChatGPT login, as `litellmctl auth chatgpt` leaves it, for the e2e-codex deployment.
    const expires = Math.floor(Date.now() / 1000) + 3600;
    writeFileSync(
      path.join(home, 'auth.chatgpt.json'),
      JSON.stringify({
        access_token: 'e2e-codex-access',
        refresh_token: 'e2e-codex-refresh',
        account_id: 'e2e-account',
        expires_at: expires,
        last_refresh: expires - 3600,
      }),
      { mode: 0o600 },
    );

    // A Google login with its Code Assist project, as `litellmctl auth gemini` leaves it.
    writeFileSync(
      path.join(home, 'auth.gemini_cli.json'),
      JSON.stringify({
        access_token: 'e2e-gemini-cli-access',
        refresh_token: 'e2e-gemini-cli-refresh',
        project_id: 'e2e-project',
        email: 'e2e@example.com',
        expires_at: expires,
      }),
      { mode: 0o600 },
    );

    const out = openSync(path.join(dir, 'litellmd.stdout'), 'w');
    const err = openSync(path.join(dir, 'litellmd.stderr'), 'w');
    try {
      stack.daemon = track(
        spawn(daemonBin, ['--home', home, '--port', '0'], {
          cwd: dir,
          env: cleanEnv({ HOME: dir }),
          stdio: ['ignore', out, err],
        }),
      );
    } finally {
      closeSync(out);
      closeSync(err);
    }

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited(stack.daemon)) {
        throw new Error(`litellmd exited early (code ${stack.daemon.exitCode}):\n${stack.diagnostics()}`);
      }
      const st = ctlStatus(ctlBin, home);
      const port = st?.listen?.port;
      if (port > 0) {
        stack.port = port;
        break;
      }
      await sleep(100);
    }
    if (!stack.port) throw new Error(`litellmd gave no HTTP port within ${START_TIMEOUT_MS} ms:\n${stack.diagnostics()}`);
    stack.baseURL = `http://127.0.0.1:${stack.port}`;

    // The HTTP listener answers /health once it is up.
    let healthy = false;
    while (Date.now() < deadline && !healthy) {
      try {
        const r = await fetch(`${stack.baseURL}/health`, { signal: AbortSignal.timeout(2_000) });
        healthy = r.ok;
      } catch {}
      if (!healthy) await sleep(100);
    }
    if (!healthy) throw new Error(`litellmd /health did not answer 200 within ${START_TIMEOUT_MS} ms:\n${stack.diagnostics()}`);
    return stack;
  } catch (e) {
    await stack.stop();
    throw e;
  }
}

/// The single upstream request made since `since`; fails with the list when there is not
/// exactly one.
export function onlyUpstreamRequest(stack, since) {
  const reqs = stack.upstreamSince(since);
  if (reqs.length !== 1) {
    throw new Error(
      `expected exactly 1 upstream request, got ${reqs.length}: ` +
        JSON.stringify(reqs.map((r) => `${r.method} ${r.path}`)),
    );
  }
  return reqs[0];
}

/// Runs `cmd args` with a hard timeout (SIGKILL to its whole process group on expiry). Resolves
/// with {code, signal, stdout, stderr, timedOut, ms}.
export function runBounded(cmd, args, { env, cwd, timeoutMs, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = track(
      spawn(cmd, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true }),
      { group: true },
    );
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
}

/// One stack for all the tests of a file (or of the describe it is called in): started before
/// the first test, stopped after the last. Returns a getter, since the stack exists only once
/// `before` has run. `options` go to startStack.
export function useStack(options) {
  let stack;
  before(async () => {
    stack = await startStack(options);
  });
  after(async () => {
    await stack?.stop();
  });
  return () => stack;
}

let cliRuns = 0;

/// A fresh directory `<stack dir>/<name>-<n>` with the given subdirectories, for one CLI run
/// (its HOME, its working directory): no run sees another's state.
export function freshRunDir(stack, name, subdirs = []) {
  const dir = path.join(stack.dir, `${name}-${++cliRuns}`);
  for (const sub of ['', ...subdirs]) mkdirSync(path.join(dir, sub), { recursive: true });
  return dir;
}

/// Runs a real CLI under runBounded and fails the test if it hit `timeoutMs`. The result gains
/// `where`: the command, exit, output and the stack's diagnostics, for assertion messages.
export async function runCli(stack, cmd, args, { env, cwd, timeoutMs }) {
  const name = path.basename(cmd);
  const r = await runBounded(cmd, args, { env, cwd, timeoutMs });
  const where =
    `${name} ${args.join(' ')}\nexit ${r.code} signal ${r.signal} after ${r.ms} ms\n` +
    `--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}\n${stack.diagnostics()}`;
  assert.ok(!r.timedOut, `${name} timed out after ${timeoutMs} ms and was killed\n${where}`);
  return { ...r, where };
}
