// Claude Code (`claude -p`, the pinned npm package) against litellmd, through both the
// OpenAI-chat deployment (Anthropic Messages in, OpenAI chat out) and the Anthropic deployment.

import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

import {
  CODEX_DEPLOYMENT,
  DEPLOYMENTS,
  GEMINI_CLI_DEPLOYMENT,
  GEMINI_DEPLOYMENT,
  FAKE_TEXT,
  MASTER_KEY,
  cleanEnv,
  freshRunDir,
  runCli,
  useStack,
} from './helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLAUDE = path.join(HERE, 'node_modules', '.bin', 'claude');
const CLAUDE_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT = { timeout: CLAUDE_TIMEOUT_MS + 15_000 };

const currentStack = useStack();

/// Runs `claude -p <prompt> --model <model> ...extra` in a fresh HOME and working directory,
/// against `stack` (the file's by default).
async function claude(prompt, model, extra = [], envOverrides = {}, stack = currentStack()) {
  const dir = freshRunDir(stack, 'claude', ['home', 'work']);
  const home = path.join(dir, 'home');
  const env = cleanEnv({
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    ANTHROPIC_BASE_URL: stack.baseURL,
    ANTHROPIC_API_KEY: MASTER_KEY,
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    ...envOverrides,
  });
  const args = ['-p', prompt, '--model', model, ...extra];
  return runCli(stack, CLAUDE, args, { env, cwd: path.join(dir, 'work'), timeoutMs: CLAUDE_TIMEOUT_MS });
}

/// The chat requests the fake received since `since` (Claude Code may also probe other paths,
/// which litellmd answers itself).
function chatRequestsSince(since) {
  return currentStack().upstreamSince(since).filter((r) => r.method === 'POST');
}

for (const dep of DEPLOYMENTS) {
  describe(`claude -p -> ${dep.label}`, () => {
    test('text answer, exit 0', TEST_TIMEOUT, async () => {
      const since = currentStack().upstreamCount();
      const r = await claude('hi', dep.name);
      assert.equal(r.code, 0, r.where);
      assert.ok(r.stdout.includes(FAKE_TEXT), `stdout contains the answer\n${r.where}`);

      const ups = chatRequestsSince(since);
      assert.ok(ups.length >= 1, `upstream got a request\n${r.where}`);
      for (const up of ups) {
        assert.equal(up.path, dep.upstreamPath, `upstream format for ${dep.name}`);
        assert.ok(Array.isArray(up.body.messages) && up.body.messages.length > 0, 'messages array');
        assert.equal(up.body.stream, true, 'Claude Code streams');
        assert.equal(up.body.model, dep.upstreamModel);
        const auth = `${up.headers.authorization ?? ''} ${up.headers['x-api-key'] ?? ''}`;
        assert.ok(auth.includes(dep.upstreamKey) && !auth.includes(MASTER_KEY), `upstream auth: ${auth}`);
        if (dep.upstreamPath === '/v1/chat/completions') {
          // Anthropic -> OpenAI translation: OpenAI roles and function tools only.
          for (const m of up.body.messages) {
            assert.ok(['system', 'developer', 'user', 'assistant', 'tool'].includes(m.role), `role ${m.role}`);
          }
          assert.ok(!('system' in up.body), 'no Anthropic top-level system');
          for (const t of up.body.tools ?? []) {
            assert.equal(t.type, 'function', `OpenAI tool shape: ${JSON.stringify(t).slice(0, 200)}`);
            assert.ok(t.function?.name, 'function.name');
          }
          assert.ok(
            up.body.stream_options?.include_usage === true,
            `stream_options.include_usage asked for so streamed usage is real: ${JSON.stringify(up.body.stream_options)}`,
          );
        }
      }
    });

    test('--output-format json', TEST_TIMEOUT, async () => {
      const r = await claude('hi', dep.name, ['--output-format', 'json']);
      assert.equal(r.code, 0, r.where);
      let out;
      assert.doesNotThrow(() => (out = JSON.parse(r.stdout)), `stdout is JSON\n${r.where}`);
      assert.equal(out.type, 'result', r.where);
      assert.equal(out.is_error, false, r.where);
      assert.ok(String(out.result).includes(FAKE_TEXT), `result contains the answer\n${r.where}`);
      assert.ok(out.usage?.output_tokens > 0, `usage passed through: ${JSON.stringify(out.usage)}`);
    });

    // Claude Code's last message is a role:"system" reminder after the user turn;
    // fake_upstream reads its markers from the last non-system message.
    test('tool round trip (tool_use -> tool_result -> text)', TEST_TIMEOUT, async () => {
      // The fake answers [[tool]] with a call to the request's first tool with input
      // {"city":"Paris"}; Claude Code rejects that input and sends the error back as a
      // tool_result, which the fake echoes as "Tool said: ...".
      const since = currentStack().upstreamCount();
      const r = await claude('[[tool]] go', dep.name, ['--output-format', 'json']);
      assert.equal(r.code, 0, r.where);
      const out = JSON.parse(r.stdout);
      assert.equal(out.is_error, false, r.where);
      assert.ok(String(out.result).startsWith('Tool said: '), `final answer echoes the tool result\n${r.where}`);
      const ups = chatRequestsSince(since);
      assert.equal(ups.length, 2, `two upstream turns\n${r.where}`);
      const second = ups[1].body.messages;
      if (dep.upstreamPath === '/v1/chat/completions') {
        const asst = second.find((m) => m.role === 'assistant' && m.tool_calls?.length);
        assert.ok(asst, `assistant tool_calls in turn 2: ${JSON.stringify(second).slice(0, 2000)}`);
        const toolMsg = second.find((m) => m.role === 'tool');
        assert.ok(toolMsg, 'role:tool message in turn 2');
        assert.equal(toolMsg.tool_call_id, asst.tool_calls[0].id, 'tool_call_id matches the call id');
      } else {
        const last = second.at(-1);
        assert.ok(
          last.role === 'user' && last.content.some((b) => b.type === 'tool_result'),
          'tool_result in the last user turn',
        );
      }
    });
  });
}

// ChatGPT Codex behind Claude Code: Anthropic Messages in, Responses out, with the reasoning
// item returning to the backend on the second turn inside the thinking block's signature.
describe('claude -p -> codex upstream', () => {
  const dep = CODEX_DEPLOYMENT;
  test('text answer', TEST_TIMEOUT, async () => {
    const since = currentStack().upstreamCount();
    const r = await claude('Say hello.', dep.name, ['--output-format', 'json']);
    assert.equal(r.code, 0, r.where);
    const out = JSON.parse(r.stdout);
    assert.equal(out.is_error, false, r.where);
    assert.equal(out.result, FAKE_TEXT, r.where);
    const ups = chatRequestsSince(since).filter((u) => u.path === dep.upstreamPath);
    assert.ok(ups.length >= 1, r.where);
    assert.equal(ups[0].body.store, false);
    assert.equal(ups[0].headers['chatgpt-account-id'], 'e2e-account');
  });

  test('tool round trip (function_call -> function_call_output -> text)', TEST_TIMEOUT, async () => {
    const since = currentStack().upstreamCount();
    const r = await claude('[[tool]] go', dep.name, ['--output-format', 'json']);
    assert.equal(r.code, 0, r.where);
    const out = JSON.parse(r.stdout);
    assert.equal(out.is_error, false, r.where);
    assert.ok(String(out.result).startsWith('Tool said: '), `final answer echoes the tool result\n${r.where}`);
    const ups = chatRequestsSince(since).filter((u) => u.path === dep.upstreamPath);
    assert.equal(ups.length, 2, `two upstream turns\n${r.where}`);
    const input = ups[1].body.input;
    const call = input.find((i) => i.type === 'function_call');
    const output = input.find((i) => i.type === 'function_call_output');
    assert.ok(call && output, `call and output in turn 2: ${JSON.stringify(input).slice(0, 2000)}`);
    assert.equal(output.call_id, call.call_id, 'the output answers the call');
    const reasoning = input.find((i) => i.type === 'reasoning');
    assert.ok(reasoning?.encrypted_content?.startsWith('enc-fake-'), `the reasoning item came back: ${JSON.stringify(input).slice(0, 2000)}`);
    assert.equal(reasoning.id, undefined, 'without its id (store:false)');
  });
});

// A Gemini API deployment behind Claude Code: Claude Code's real tool list must pass Gemini's
// schema rules (the fake refuses what Gemini refuses), and a call's thought signature must come
// back on it next turn.
for (const dep of [GEMINI_DEPLOYMENT, GEMINI_CLI_DEPLOYMENT]) describe(`claude -p -> ${dep.label}`, () => {
  test("text answer, with Claude Code's own tool list cleaned for Gemini", TEST_TIMEOUT, async () => {
    const since = currentStack().upstreamCount();
    const r = await claude('Say hello.', dep.name, ['--output-format', 'json']);
    assert.equal(r.code, 0, r.where);
    const out = JSON.parse(r.stdout);
    assert.equal(out.is_error, false, r.where);
    assert.equal(out.result, FAKE_TEXT, r.where);
    const ups = chatRequestsSince(since).filter((u) => u.path === dep.upstreamPath);
    assert.ok(ups.length >= 1, r.where);
    const request = ups[0].body.request ?? ups[0].body;  // Code Assist wraps it
    const decls = request.tools?.[0]?.functionDeclarations ?? [];
    assert.ok(decls.length >= 5, `Claude Code's tools reached Gemini: ${decls.length}\n${r.where}`);
    if (dep === GEMINI_CLI_DEPLOYMENT) {
      assert.equal(ups[0].body.project, 'e2e-project');
      assert.equal(ups[0].body.model, 'gemini-fake-1');
      assert.equal(ups[0].headers.authorization, 'Bearer e2e-gemini-cli-access');
    } else {
      assert.equal(ups[0].headers['x-goog-api-key'], 'AIza-e2e-gemini-key');
    }
  });

  test('tool round trip keeps the call\'s thought signature', TEST_TIMEOUT, async () => {
    const since = currentStack().upstreamCount();
    const r = await claude('[[tool]] go', dep.name, ['--output-format', 'json']);
    assert.equal(r.code, 0, r.where);
    const out = JSON.parse(r.stdout);
    assert.equal(out.is_error, false, r.where);
    assert.ok(String(out.result).startsWith('Tool said: '), `final answer echoes the tool result\n${r.where}`);
    const ups = chatRequestsSince(since).filter((u) => u.path === dep.upstreamPath);
    assert.equal(ups.length, 2, `two upstream turns\n${r.where}`);
    const model = (ups[1].body.request ?? ups[1].body).contents.find((c) => c.role === 'model');
    const call = model?.parts.find((p) => p.functionCall);
    assert.ok(call?.thoughtSignature?.startsWith('sig-fake-'), `the signature came back: ${JSON.stringify(model).slice(0, 1000)}`);
  });
});

// An OpenAI-format upstream that fails mid-stream, after some text (as gateways and vLLM do):
// litellmd must tell the error inside the still-open block, as Anthropic does, so Claude Code
// retries the turn instead of keeping the partial text and failing it.
describe('claude -p through a mid-stream failure', () => {
  const dep = DEPLOYMENTS.find((d) => d.upstreamPath === '/v1/chat/completions');
  test('the turn is retried and succeeds', TEST_TIMEOUT, async () => {
    const since = currentStack().upstreamCount();
    const r = await claude('[[midstream-error-once]] hi', dep.name, ['--output-format', 'json'], {
      CLAUDE_CODE_MAX_RETRIES: '3',
    });
    assert.equal(r.code, 0, r.where);
    const out = JSON.parse(r.stdout);
    assert.equal(out.is_error, false, r.where);
    assert.ok(String(out.result).includes(FAKE_TEXT), `the retried turn's answer\n${r.where}`);
    assert.ok(!String(out.result).startsWith('Hel') || String(out.result).includes(FAKE_TEXT), r.where);
    const ups = chatRequestsSince(since);
    assert.ok(ups.length >= 2, `the failed attempt and its retry reached the upstream\n${r.where}`);
  });
});

// Without a master key litellmd refuses what a web page could send (a foreign Origin or Host);
// the real client, which is not one, must still be served.
describe('claude -p to a litellmd without a master key', () => {
  const keylessStack = useStack({ masterKey: false });
  const dep = DEPLOYMENTS.find((d) => d.upstreamPath === '/v1/messages');
  test('text answer, exit 0', TEST_TIMEOUT, async () => {
    const stack = keylessStack();
    const since = stack.upstreamCount();
    const r = await claude('hi', dep.name, ['--output-format', 'json'], {}, stack);
    assert.equal(r.code, 0, r.where);
    assert.ok(String(JSON.parse(r.stdout).result).includes(FAKE_TEXT), r.where);
    assert.ok(stack.upstreamSince(since).some((u) => u.path === dep.upstreamPath), r.where);
  });
});
