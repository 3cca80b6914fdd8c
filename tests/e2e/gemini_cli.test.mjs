// The Gemini CLI (`gemini -p`, the pinned @google/gemini-cli package, API-key mode with
// GOOGLE_GEMINI_BASE_URL) against litellmd's Gemini API, through the Anthropic-format, the
// OpenAI-chat and the Gemini API deployment of the fake upstream (the last one decoded and
// re-encoded, its tool schemas cleaned on the way).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

import {
  DEPLOYMENTS,
  FAKE_TEXT,
  GEMINI_DEPLOYMENT,
  MASTER_KEY,
  cleanEnv,
  freshRunDir,
  runCli,
  useStack,
} from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GEMINI = path.join(HERE, 'node_modules', '.bin', 'gemini');
const GEMINI_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT = { timeout: GEMINI_TIMEOUT_MS + 15_000 };

const currentStack = useStack();

/// Runs `gemini -p <prompt> -m <model>` with a fresh HOME whose settings pick API-key auth,
/// against `stack` (the file's by default).
async function gemini(prompt, model, stack = currentStack()) {
  const dir = freshRunDir(stack, 'gemini', ['.gemini', 'work']);
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
  return runCli(stack, GEMINI, args, { env, cwd: path.join(dir, 'work'), timeoutMs: GEMINI_TIMEOUT_MS });
}

for (const dep of [...DEPLOYMENTS, GEMINI_DEPLOYMENT]) {
  describe(`gemini -p -> ${dep.label}`, () => {
    test('a prompt is answered through /v1beta/models/{model}:streamGenerateContent', TEST_TIMEOUT, async () => {
      const stack = currentStack();
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

// Without a master key litellmd refuses what a web page could send; the Gemini CLI (its SDK's
// fetch) is not one.
describe('gemini -p to a litellmd without a master key', () => {
  const keylessStack = useStack({ masterKey: false });
  test('a prompt is answered', TEST_TIMEOUT, async () => {
    const stack = keylessStack();
    const r = await gemini('Say hello.', GEMINI_DEPLOYMENT.name, stack);
    assert.equal(r.code, 0, r.where);
    assert.ok(String(JSON.parse(r.stdout).response).includes(FAKE_TEXT), r.where);
  });
});
