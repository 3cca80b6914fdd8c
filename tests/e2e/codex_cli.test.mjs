// The Codex CLI (`codex exec`, the pinned @openai/codex package) against litellmd's Responses
// API, through the Anthropic-format, the OpenAI-chat and the Codex deployment of the fake
// upstream.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

import {
  CODEX_DEPLOYMENT,
  DEPLOYMENTS,
  FAKE_TEXT,
  MASTER_KEY,
  cleanEnv,
  freshRunDir,
  runCli,
  useStack,
} from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CODEX = path.join(HERE, 'node_modules', '.bin', 'codex');
const CODEX_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT = { timeout: CODEX_TIMEOUT_MS + 15_000 };

const currentStack = useStack();

/// Runs `codex exec <prompt>` with a fresh CODEX_HOME whose provider is litellmd.
async function codex(prompt, model) {
  const stack = currentStack();
  const dir = freshRunDir(stack, 'codex', ['codex-home', 'work']);
  const home = path.join(dir, 'codex-home');
  writeFileSync(
    path.join(home, 'config.toml'),
    [
      `model = "${model}"`,
      'model_provider = "litellmd"',
      '[model_providers.litellmd]',
      'name = "litellmd"',
      `base_url = "${stack.baseURL}/v1"`,
      'env_key = "LITELLMD_KEY"',
      'wire_api = "responses"',
      '[analytics]',
      'enabled = false',
      '',
    ].join('\n'),
  );
  const env = cleanEnv({ HOME: dir, CODEX_HOME: home, LITELLMD_KEY: MASTER_KEY, NO_COLOR: '1' });
  const args = ['exec', '--skip-git-repo-check', prompt];
  return runCli(stack, CODEX, args, { env, cwd: path.join(dir, 'work'), timeoutMs: CODEX_TIMEOUT_MS });
}

for (const dep of [...DEPLOYMENTS, CODEX_DEPLOYMENT]) {
  describe(`codex exec -> ${dep.label}`, () => {
    test('a prompt is answered through /v1/responses', TEST_TIMEOUT, async () => {
      const stack = currentStack();
      const since = stack.upstreamCount();
      const r = await codex('Say hello.', dep.name);
      assert.equal(r.code, 0, r.where);
      assert.ok(r.stdout.includes(FAKE_TEXT), r.where);
      const ups = stack.upstreamSince(since).filter((u) => u.method === 'POST');
      assert.ok(ups.length >= 1, r.where);
      assert.equal(ups[0].path, dep.upstreamPath, r.where);
      assert.equal(ups[0].body.model, dep.upstreamModel);
    });
  });
}
