// The Gemini CLI (`gemini -p`, the pinned @google/gemini-cli package, API-key mode with
// GOOGLE_GEMINI_BASE_URL) against litellmd's Gemini API, through the Anthropic-format, the
// OpenAI-chat and the Gemini API deployment of the fake upstream (the last one decoded and
// re-encoded, its tool schemas cleaned on the way).

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import {
  DEPLOYMENTS,
  FAKE_TEXT,
  GEMINI_DEPLOYMENT,
  MASTER_KEY,
  cleanEnv,
  runBounded,
  startStack,
} from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GEMINI = path.join(HERE, 'node_modules', '.bin', 'gemini');
const GEMINI_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT = { timeout: GEMINI_TIMEOUT_MS + 15_000 };

let stack;
let runCount = 0;

before(async () => {
  stack = await startStack();
});

after(async () => {
  await stack?.stop();
});

/// Runs `gemini -p <prompt> -m <model>` with a fresh HOME whose settings pick API-key auth.
async function gemini(prompt, model) {
  const dir = path.join(stack.dir, `gemini-${++runCount}`);
  const cwd = path.join(dir, 'work');
  mkdirSync(path.join(dir, '.gemini'), { recursive: true });
  mkdirSync(cwd, { recursive: true });
  writeFileSync(
    path.join(dir, '.gemini', 'settings.json'),
    JSON.stringify({
      security: { auth: { selectedType: 'gemini-api-key' } },
      privacy: { usageStatisticsEnabled: false },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
      telemetry: { enabled: false },
    }),
  );
  const env = cleanEnv({
    HOME: dir,
    GEMINI_API_KEY: MASTER_KEY,
    GOOGLE_GEMINI_BASE_URL: stack.baseURL,
    GEMINI_CLI_NO_RELAUNCH: 'true',
    GEMINI_CLI_TRUST_WORKSPACE: 'true',
    NO_COLOR: '1',
    CI: '1',
  });
  const args = ['-p', prompt, '-m', model, '--output-format', 'json'];
  const r = await runBounded(GEMINI, args, { env, cwd, timeoutMs: GEMINI_TIMEOUT_MS });
  const where = `gemini ${args.join(' ')}\nexit ${r.code} signal ${r.signal} after ${r.ms} ms\n--- stdout:\n${r.stdout}\n--- stderr:\n${r.stderr}\n${stack.diagnostics()}`;
  assert.ok(!r.timedOut, `gemini timed out after ${GEMINI_TIMEOUT_MS} ms\n${where}`);
  return { ...r, where };
}

for (const dep of [...DEPLOYMENTS, GEMINI_DEPLOYMENT]) {
  describe(`gemini -p -> ${dep.label}`, () => {
    test('a prompt is answered through /v1beta/models/{model}:streamGenerateContent', TEST_TIMEOUT, async () => {
      const since = stack.upstreamCount();
      const r = await gemini('Say hello.', dep.name);
      assert.equal(r.code, 0, r.where);
      const out = JSON.parse(r.stdout);
      assert.ok(String(out.response).includes(FAKE_TEXT), r.where);
      const ups = stack.upstreamSince(since).filter((u) => u.method === 'POST');
      assert.ok(ups.length >= 1, r.where);
      assert.ok(ups.some((u) => u.path === dep.upstreamPath && u.body.model === dep.upstreamModel), r.where);
    });
  });
}
