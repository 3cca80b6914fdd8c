// The official Anthropic and OpenAI JS SDKs against litellmd, each case through both an
// Anthropic-format and an OpenAI-format deployment of tests/fakes/fake_upstream.

import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import {
  DEPLOYMENTS,
  FAKE_TEXT,
  MASTER_KEY,
  onlyUpstreamRequest,
  terminate,
  useStack,
} from './helpers.mjs';

const TIMEOUT = { timeout: 30_000 };
const TOOL_RESULT = '18 degrees and sunny';

const anthropicTool = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string', description: 'City name' } },
    required: ['city'],
  },
};

const openaiTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', description: 'City name' } },
      required: ['city'],
    },
  },
};

const currentStack = useStack();

function anthropicClient(apiKey = MASTER_KEY) {
  return new Anthropic({
    baseURL: currentStack().baseURL,
    apiKey,
    authToken: null,
    maxRetries: 0,
    timeout: 20_000,
  });
}

function openaiClient(apiKey = MASTER_KEY) {
  return new OpenAI({
    baseURL: `${currentStack().baseURL}/v1`,
    apiKey,
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: 20_000,
  });
}

/// Runs `fn` and checks that it caused exactly one upstream request of `dep`'s format, for
/// `dep`'s upstream model, authenticated with the deployment key (never the master key).
async function throughUpstream(dep, fn, { stream } = {}) {
  const since = currentStack().upstreamCount();
  const result = await fn();
  const up = onlyUpstreamRequest(currentStack(), since);
  assert.equal(up.method, 'POST');
  assert.equal(up.path, dep.upstreamPath, 'upstream request in the deployment format');
  assert.equal(up.body.model, dep.upstreamModel, 'upstream model id from litellm_params.model');
  assert.ok(Array.isArray(up.body.messages), 'upstream body has a messages array');
  if (stream !== undefined) assert.equal(up.body.stream === true, stream, 'upstream stream flag');
  const auth = `${up.headers.authorization ?? ''} ${up.headers['x-api-key'] ?? ''}`;
  assert.ok(auth.includes(dep.upstreamKey), `upstream got the deployment key: ${auth}`);
  assert.ok(!auth.includes(MASTER_KEY), 'the master key must not leak upstream');
  return { result, up };
}

// ---------------------------------------------------------------------------------------------
// @anthropic-ai/sdk

for (const dep of DEPLOYMENTS) {
  describe(`@anthropic-ai/sdk -> ${dep.label}`, () => {
    test('messages.create, non-stream', TIMEOUT, async () => {
      const { result: msg, up } = await throughUpstream(
        dep,
        () =>
          anthropicClient().messages.create({
            model: dep.name,
            max_tokens: 64,
            system: 'You are a test.',
            messages: [{ role: 'user', content: 'hi' }],
          }),
        { stream: false },
      );
      assert.equal(msg.type, 'message');
      assert.equal(msg.role, 'assistant');
      assert.equal(msg.content.length, 1);
      assert.equal(msg.content[0].type, 'text');
      assert.equal(msg.content[0].text, FAKE_TEXT);
      assert.equal(msg.stop_reason, 'end_turn');
      assert.ok(msg.usage.input_tokens > 0, `input_tokens: ${JSON.stringify(msg.usage)}`);
      assert.ok(msg.usage.output_tokens > 0, `output_tokens: ${JSON.stringify(msg.usage)}`);
      assert.ok(up.body.max_tokens > 0 || up.body.max_completion_tokens > 0, 'max tokens forwarded');
    });

    test('messages.stream + finalMessage', TIMEOUT, async () => {
      const { result } = await throughUpstream(
        dep,
        async () => {
          const s = anthropicClient().messages.stream({
            model: dep.name,
            max_tokens: 64,
            messages: [{ role: 'user', content: 'hi' }],
          });
          let text = '';
          const events = [];
          s.on('text', (delta) => (text += delta));
          s.on('streamEvent', (ev) => events.push(ev.type));
          const final = await s.finalMessage();
          return { text, events, final };
        },
        { stream: true },
      );
      const { text, events, final } = result;
      assert.equal(text, FAKE_TEXT, 'text deltas concatenate to the answer');
      assert.equal(events[0], 'message_start');
      assert.equal(events.at(-1), 'message_stop');
      assert.ok(events.includes('content_block_delta'));
      assert.equal(final.content[0].type, 'text');
      assert.equal(final.content[0].text, FAKE_TEXT);
      assert.equal(final.stop_reason, 'end_turn');
      assert.ok(final.usage.output_tokens > 0, `output_tokens: ${JSON.stringify(final.usage)}`);
    });

    test('tool call, non-stream', TIMEOUT, async () => {
      const { result: msg, up } = await throughUpstream(dep, () =>
        anthropicClient().messages.create({
          model: dep.name,
          max_tokens: 256,
          tools: [anthropicTool],
          messages: [{ role: 'user', content: '[[tool]] What is the weather in Paris?' }],
        }),
      );
      assert.ok(Array.isArray(up.body.tools) && up.body.tools.length === 1, 'tools forwarded');
      const use = msg.content.find((b) => b.type === 'tool_use');
      assert.ok(use, `a tool_use block: ${JSON.stringify(msg.content)}`);
      assert.equal(use.name, 'get_weather');
      assert.ok(typeof use.id === 'string' && use.id.length > 0, 'tool_use id');
      assert.deepEqual(use.input, { city: 'Paris' });
      assert.equal(msg.stop_reason, 'tool_use');
    });

    test('tool call, streamed (input_json_delta)', TIMEOUT, async () => {
      const { result: final } = await throughUpstream(
        dep,
        () =>
          anthropicClient()
            .messages.stream({
              model: dep.name,
              max_tokens: 256,
              tools: [anthropicTool],
              messages: [{ role: 'user', content: '[[tool]] What is the weather in Paris?' }],
            })
            .finalMessage(),
        { stream: true },
      );
      const use = final.content.find((b) => b.type === 'tool_use');
      assert.ok(use, `a tool_use block: ${JSON.stringify(final.content)}`);
      assert.equal(use.name, 'get_weather');
      assert.deepEqual(use.input, { city: 'Paris' });
      assert.equal(final.stop_reason, 'tool_use');
    });

    test('tool_result turn', TIMEOUT, async () => {
      const { result: msg } = await throughUpstream(dep, () =>
        anthropicClient().messages.create({
          model: dep.name,
          max_tokens: 256,
          tools: [anthropicTool],
          messages: [
            { role: 'user', content: '[[tool]] What is the weather in Paris?' },
            {
              role: 'assistant',
              content: [
                { type: 'text', text: 'Let me look.' },
                { type: 'tool_use', id: 'toolu_e2e_1', name: 'get_weather', input: { city: 'Paris' } },
              ],
            },
            {
              role: 'user',
              content: [{ type: 'tool_result', tool_use_id: 'toolu_e2e_1', content: TOOL_RESULT }],
            },
          ],
        }),
      );
      assert.equal(msg.content[0].type, 'text');
      assert.equal(msg.content[0].text, `Tool said: ${TOOL_RESULT}`);
      assert.equal(msg.stop_reason, 'end_turn');
    });

    test('messages.countTokens', TIMEOUT, async () => {
      const r = await anthropicClient().messages.countTokens({
        model: dep.name,
        system: 'You are a test.',
        messages: [{ role: 'user', content: 'How many tokens is this?' }],
      });
      assert.equal(typeof r.input_tokens, 'number');
      assert.ok(r.input_tokens > 0, `input_tokens: ${JSON.stringify(r)}`);
    });
  });
}

describe('@anthropic-ai/sdk auth', () => {
  test('apiKey = master key is accepted (SDK sends Authorization: Bearer)', TIMEOUT, async () => {
    const client = anthropicClient();
    const { data, response } = await client.messages
      .create({ model: 'e2e-anthropic', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    assert.equal(response.status, 200);
    assert.equal(data.content[0].text, FAKE_TEXT);
  });

  test('a wrong key gives AuthenticationError (401) and reaches no upstream', TIMEOUT, async () => {
    for (const dep of DEPLOYMENTS) {
      const since = currentStack().upstreamCount();
      await assert.rejects(
        anthropicClient('sk-wrong-key').messages.create({
          model: dep.name,
          max_tokens: 16,
          messages: [{ role: 'user', content: 'hi' }],
        }),
        (e) => {
          assert.ok(e instanceof Anthropic.AuthenticationError, `got ${e?.constructor?.name}: ${e?.message}`);
          assert.equal(e.status, 401);
          assert.equal(e.error?.type, 'error', `Anthropic error envelope: ${JSON.stringify(e.error)}`);
          assert.equal(e.error?.error?.type, 'authentication_error');
          return true;
        },
      );
      assert.equal(currentStack().upstreamCount(), since, 'no upstream request for a rejected key');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// openai

for (const dep of DEPLOYMENTS) {
  describe(`openai -> ${dep.label}`, () => {
    test('chat.completions.create, non-stream', TIMEOUT, async () => {
      const { result: c } = await throughUpstream(
        dep,
        () =>
          openaiClient().chat.completions.create({
            model: dep.name,
            max_tokens: 64,
            user: 'e2e-user',
            messages: [
              { role: 'system', content: 'You are a test.' },
              { role: 'user', content: 'hi' },
            ],
          }),
        { stream: false },
      );
      assert.equal(c.object, 'chat.completion');
      assert.equal(c.choices.length, 1);
      assert.equal(c.choices[0].message.role, 'assistant');
      assert.equal(c.choices[0].message.content, FAKE_TEXT);
      assert.equal(c.choices[0].finish_reason, 'stop');
      assert.ok(c.usage.prompt_tokens > 0, `usage: ${JSON.stringify(c.usage)}`);
      assert.ok(c.usage.completion_tokens > 0, `usage: ${JSON.stringify(c.usage)}`);
      assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
    });

    test('stream with stream_options.include_usage', TIMEOUT, async () => {
      const { result: chunks } = await throughUpstream(
        dep,
        async () => {
          const s = await openaiClient().chat.completions.create({
            model: dep.name,
            max_tokens: 64,
            stream: true,
            stream_options: { include_usage: true },
            messages: [{ role: 'user', content: 'hi' }],
          });
          const out = [];
          for await (const chunk of s) out.push(chunk);
          return out;
        },
        { stream: true },
      );
      assert.ok(chunks.length >= 2, `chunks: ${chunks.length}`);
      for (const ch of chunks) assert.equal(ch.object, 'chat.completion.chunk');
      const text = chunks.map((ch) => ch.choices[0]?.delta?.content ?? '').join('');
      assert.equal(text, FAKE_TEXT, 'content deltas concatenate to the answer');
      const finishes = chunks.map((ch) => ch.choices[0]?.finish_reason).filter(Boolean);
      assert.deepEqual(finishes, ['stop']);
      const last = chunks.at(-1);
      assert.deepEqual(last.choices, [], `final usage chunk has no choices: ${JSON.stringify(last)}`);
      assert.ok(last.usage, 'final chunk carries usage');
      assert.ok(last.usage.prompt_tokens > 0, `usage: ${JSON.stringify(last.usage)}`);
      assert.ok(last.usage.completion_tokens > 0, `usage: ${JSON.stringify(last.usage)}`);
      for (const ch of chunks.slice(0, -1)) assert.ok(!ch.usage, `usage only on the final chunk: ${JSON.stringify(ch)}`);
    });

    test('tool call, non-stream', TIMEOUT, async () => {
      const { result: c } = await throughUpstream(dep, () =>
        openaiClient().chat.completions.create({
          model: dep.name,
          max_tokens: 256,
          tools: [openaiTool],
          messages: [{ role: 'user', content: '[[tool]] What is the weather in Paris?' }],
        }),
      );
      const choice = c.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      const calls = choice.message.tool_calls;
      assert.ok(Array.isArray(calls) && calls.length === 1, `tool_calls: ${JSON.stringify(choice.message)}`);
      assert.equal(calls[0].type, 'function');
      assert.ok(typeof calls[0].id === 'string' && calls[0].id.length > 0, 'tool call id');
      assert.equal(calls[0].function.name, 'get_weather');
      assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: 'Paris' });
    });

    test('tool call, streamed (deltas accumulated by index)', TIMEOUT, async () => {
      const { result } = await throughUpstream(
        dep,
        async () => {
          const s = await openaiClient().chat.completions.create({
            model: dep.name,
            max_tokens: 256,
            stream: true,
            tools: [openaiTool],
            messages: [{ role: 'user', content: '[[tool]] What is the weather in Paris?' }],
          });
          const calls = [];
          let finish = null;
          for await (const chunk of s) {
            const choice = chunk.choices[0];
            if (!choice) continue;
            if (choice.finish_reason) finish = choice.finish_reason;
            for (const d of choice.delta?.tool_calls ?? []) {
              const acc = (calls[d.index] ??= { id: '', type: '', name: '', arguments: '' });
              if (d.id) acc.id = d.id;
              if (d.type) acc.type = d.type;
              if (d.function?.name) acc.name += d.function.name;
              if (d.function?.arguments) acc.arguments += d.function.arguments;
            }
          }
          return { calls, finish };
        },
        { stream: true },
      );
      const { calls, finish } = result;
      assert.equal(finish, 'tool_calls');
      assert.equal(calls.length, 1, `calls: ${JSON.stringify(calls)}`);
      assert.ok(calls[0].id.length > 0, 'tool call id');
      assert.equal(calls[0].type, 'function');
      assert.equal(calls[0].name, 'get_weather');
      assert.deepEqual(JSON.parse(calls[0].arguments), { city: 'Paris' });
    });

    test('role:"tool" result turn', TIMEOUT, async () => {
      const { result: c } = await throughUpstream(dep, () =>
        openaiClient().chat.completions.create({
          model: dep.name,
          max_tokens: 256,
          tools: [openaiTool],
          messages: [
            { role: 'user', content: '[[tool]] What is the weather in Paris?' },
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: 'call_e2e_1',
                  type: 'function',
                  function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
                },
              ],
            },
            { role: 'tool', tool_call_id: 'call_e2e_1', content: TOOL_RESULT },
          ],
        }),
      );
      assert.equal(c.choices[0].message.content, `Tool said: ${TOOL_RESULT}`);
      assert.equal(c.choices[0].finish_reason, 'stop');
    });
  });
}

// The Responses API (what the Codex CLI speaks), translated to either upstream format.
const responsesTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string', description: 'City name' } },
    required: ['city'],
  },
  strict: false,
};

for (const dep of DEPLOYMENTS) {
  describe(`openai responses -> ${dep.label}`, () => {
    test('responses.create, non-stream', TIMEOUT, async () => {
      const { result: r } = await throughUpstream(
        dep,
        () =>
          openaiClient().responses.create({
            model: dep.name,
            instructions: 'You are a test.',
            input: 'hi',
            max_output_tokens: 64,
            store: false,
          }),
        { stream: false },
      );
      assert.equal(r.object, 'response');
      assert.equal(r.status, 'completed');
      assert.equal(r.output_text, FAKE_TEXT);
      assert.ok(r.usage.input_tokens > 0, 'usage.input_tokens');
    });

    test('responses.create, stream (typed events)', TIMEOUT, async () => {
      const { result: events } = await throughUpstream(
        dep,
        async () => {
          const s = await openaiClient().responses.create({
            model: dep.name,
            input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
            stream: true,
            store: false,
          });
          const out = [];
          for await (const e of s) out.push(e);
          return out;
        },
        { stream: true },
      );
      const types = events.map((e) => e.type);
      assert.equal(types[0], 'response.created');
      assert.equal(types.at(-1), 'response.completed');
      const text = events
        .filter((e) => e.type === 'response.output_text.delta')
        .map((e) => e.delta)
        .join('');
      assert.equal(text, FAKE_TEXT);
      assert.equal(events.at(-1).response.output[0].content[0].text, FAKE_TEXT);
    });

    test('function call, then its output', TIMEOUT, async () => {
      const { result: first } = await throughUpstream(dep, () =>
        openaiClient().responses.create({
          model: dep.name,
          tools: [responsesTool],
          input: '[[tool]] What is the weather in Paris?',
          store: false,
        }),
      );
      const call = first.output.find((o) => o.type === 'function_call');
      assert.ok(call, JSON.stringify(first.output));
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
      const { result: second } = await throughUpstream(dep, () =>
        openaiClient().responses.create({
          model: dep.name,
          tools: [responsesTool],
          store: false,
          input: [
            { role: 'user', content: '[[tool]] What is the weather in Paris?' },
            { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
            { type: 'function_call_output', call_id: call.call_id, output: TOOL_RESULT },
          ],
        }),
      );
      assert.equal(second.output_text, `Tool said: ${TOOL_RESULT}`);
    });
  });
}

describe('openai models and errors', () => {
  test('models.list() contains the configured names', TIMEOUT, async () => {
    const ids = [];
    for await (const m of openaiClient().models.list()) {
      assert.equal(m.object, 'model');
      ids.push(m.id);
    }
    for (const dep of DEPLOYMENTS) assert.ok(ids.includes(dep.name), `${dep.name} in ${JSON.stringify(ids)}`);
  });

  test('an unknown model gives NotFoundError (404) and reaches no upstream', TIMEOUT, async () => {
    const since = currentStack().upstreamCount();
    await assert.rejects(
      openaiClient().chat.completions.create({
        model: 'no-such-model',
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (e) => {
        assert.ok(e instanceof OpenAI.NotFoundError, `got ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.status, 404);
        assert.ok(e.error?.message, `OpenAI error envelope: ${JSON.stringify(e.error)}`);
        return true;
      },
    );
    assert.equal(currentStack().upstreamCount(), since, 'no upstream request for an unknown model');
  });

  test('a wrong key gives AuthenticationError (401)', TIMEOUT, async () => {
    await assert.rejects(
      openaiClient('sk-wrong-key').chat.completions.create({
        model: 'e2e-openai',
        messages: [{ role: 'user', content: 'hi' }],
      }),
      (e) => {
        assert.ok(e instanceof OpenAI.AuthenticationError, `got ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.status, 401);
        return true;
      },
    );
  });
});

// Last: the SDKs' HTTP agents still hold idle keep-alive connections to litellmd here, as real
// clients do when a service manager stops the daemon. One more is opened explicitly so the
// case does not depend on the SDKs' pooling.
test('litellmd exits 0 within 10 s of SIGTERM while clients hold idle keep-alive connections', { timeout: 30_000 }, async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const status = await new Promise((resolve, reject) => {
      const req = http.get(`${currentStack().baseURL}/health`, { agent, timeout: 5_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('timeout', () => req.destroy(new Error('GET /health timed out')));
      req.on('error', reject);
    });
    assert.equal(status, 200);
    const started = Date.now();
    const exit = await terminate(currentStack().daemon, 10_000);
    assert.deepEqual(
      exit,
      { code: 0, signal: null },
      `litellmd should close idle connections and exit 0 on SIGTERM; got ${JSON.stringify(exit)} after ${Date.now() - started} ms (SIGKILLed at 10 s)\n${currentStack().diagnostics()}`,
    );
  } finally {
    agent.destroy();
  }
});
