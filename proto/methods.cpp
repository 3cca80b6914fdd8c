#include "proto/methods.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/json.hpp"
#include "proto/errors.hpp"
#include "proto/limits.hpp"
#include "proto/version.hpp"

namespace litellm::proto {

namespace {

using T = JsonType;

// Result fields shared by methods that return log records.
constexpr std::string_view kLogRecordShape =
    "`{seq, ts, level, component, msg}`: `seq` increases by one per record, `ts` is RFC 3339 UTC "
    "with milliseconds";

std::vector<MethodSpec> build_table() {
    std::vector<MethodSpec> table = {
        {
            .name = "auth.import",
            .summary = "Store OAuth tokens for a provider (a login, or tokens from another tool).",
            .description =
                "Validates the tokens, writes the provider's token file atomically (0600) under "
                "its lock, and starts using them. `litellmctl auth <provider>` sends its login "
                "result here while the daemon runs, so the daemon stays the only writer.",
            .params =
                {
                    {.name = "provider",
                     .type = T::kString,
                     .required = true,
                     .help = "`qwen_portal`, `chatgpt` or `gemini_cli` (or `qwen`, `codex`, "
                             "`gemini`)."},
                    {.name = "tokens",
                     .type = T::kObject,
                     .required = true,
                     .help = "The token file object: `access_token`, `refresh_token`, "
                             "`expires_at` (Unix seconds) and the provider's own fields "
                             "(`resource_url`, `account_id`, `project_id`, `email`, ...)."},
                },
            .result = {{"provider", T::kString, "The provider's prefix."},
                       {"file", T::kString, "The token file written."},
                       {"state", T::kString, "The credential's state after the import."},
                       {"message", T::kString, "What was done."}},
            .flags = kFlagMutating,
            .example_params =
                R"({"provider":"qwen","tokens":{"access_token":"...","refresh_token":"...","expires_at":1767225600}})",
        },
        {
            .name = "auth.logout",
            .summary = "Remove a provider's token file; its models are skipped until a new login.",
            .params = {{.name = "provider",
                        .type = T::kString,
                        .required = true,
                        .help = "`qwen_portal`, `chatgpt` or `gemini_cli` (or an alias)."}},
            .result = {{"provider", T::kString, "The provider's prefix."},
                       {"file", T::kString, "The token file removed."},
                       {"message", T::kString, "What was done."}},
            .flags = kFlagMutating,
            .example_params = R"({"provider":"qwen"})",
        },
        {
            .name = "auth.refresh",
            .summary = "Refresh a provider's access token now (single flight with the timer).",
            .description =
                "Answers when the exchange is over, so the reply may take up to the OAuth "
                "timeout (30 s); other calls on the connection are answered meanwhile. A refused "
                "refresh token turns the credential to `login_needed`. Not allowed in a batch.",
            .params = {{.name = "provider",
                        .type = T::kString,
                        .required = true,
                        .help = "`qwen_portal`, `chatgpt` or `gemini_cli` (or an alias)."}},
            .result = {{"provider", T::kString, "The provider's prefix."},
                       {"state", T::kString, "The credential's state afterwards."},
                       {"expires_at", T::kInteger, "New expiry, Unix seconds.", true},
                       {"message", T::kString, "What happened."}},
            .flags = kFlagMutating,
            .example_params = R"({"provider":"qwen"})",
        },
        {
            .name = "auth.status",
            .summary = "The OAuth credentials: file, account, expiry, last refresh, last error, "
                       "state.",
            .description =
                "`state` is `missing`, `valid`, `expired` (a refresh is due or backing off), "
                "`login_needed` (the refresh token was refused) or `corrupt` (the file cannot be "
                "read; it is left as it is). A change of state is also logged (component "
                "`auth`), so `logs.follow` shows it.",
            .result =
                {
                    {"providers", T::kArray,
                     "`{provider, login, file, state, used, account, plan, expires_at, "
                     "last_refresh, next_refresh_at, refreshes, last_error}`; times are Unix "
                     "seconds or null, `login` is the command that logs in, `used` says whether "
                     "the config has a deployment on it."},
                },
        },
        {
            .name = "rpc.hello",
            .summary = "Exchange versions; the first call of every client.",
            .description =
                "Returns the daemon's version and protocol range. A client whose protocol is "
                "below `min_protocol` gets an `incompatible` error instead. Clients should warn "
                "once when the daemon's protocol is newer than theirs.",
            .params =
                {
                    {.name = "client",
                     .type = T::kString,
                     .default_json = "\"\"",
                     .help = "Name and version of the caller, e.g. `litellmctl/0.1.0`; logged."},
                    {.name = "protocol",
                     .type = T::kInteger,
                     .help = "The client's protocol version; omitted means the daemon's own.",
                     .min = 0},
                },
            .result =
                {
                    {"daemon_version", T::kString, "litellmd version."},
                    {"protocol", T::kInteger, "The daemon's protocol version."},
                    {"min_protocol", T::kInteger, "Oldest client protocol still served."},
                    {"pid", T::kInteger, "The daemon's process id."},
                    {"capabilities", T::kArray, "Names of the methods this daemon serves."},
                },
            .example_params = R"({"client":"litellmctl/0.1.0","protocol":1})",
        },
        {
            .name = "rpc.describe",
            .summary = "Describe the methods (this table), or one of them.",
            .params = {{.name = "method",
                        .type = T::kString,
                        .help = "Only this method; omitted means all."}},
            .result =
                {
                    {"protocol", T::kInteger, "The daemon's protocol version."},
                    {"methods", T::kArray,
                     "Specs: `{name, summary, params[], result[], flags[], since_protocol}`."},
                },
            .example_params = R"({"method":"logs.tail"})",
        },
        {
            .name = "status",
            .summary = "Report what the daemon is doing: listener, config, models, providers.",
            .result =
                {
                    {"version", T::kString, "litellmd version."},
                    {"protocol", T::kInteger, "Control protocol version."},
                    {"pid", T::kInteger, "Process id."},
                    {"uptime_s", T::kNumber, "Seconds since start."},
                    {"started_at", T::kString, "Start time, RFC 3339 UTC."},
                    {"listen", T::kObject, "The HTTP listener."},
                    {"listen.host", T::kString, "Bound address."},
                    {"listen.port", T::kInteger, "Bound port (the real one when started on 0)."},
                    {"listen.url", T::kString, "Base URL for clients."},
                    {"listen.connections", T::kInteger,
                     "Client connections open now, idle keep-alive ones included."},
                    {"listen.streams", T::kInteger, "Responses being streamed right now."},
                    {"home", T::kString, "LITELLM_HOME in use."},
                    {"config_path", T::kString, "Config file in use."},
                    {"config_loaded_at", T::kString, "When it was (re)loaded, RFC 3339 UTC."},
                    {"socket", T::kString, "Control socket path."},
                    {"log_file", T::kString, "Log file path."},
                    {"model_count", T::kInteger, "Number of public model names."},
                    {"models", T::kArray,
                     "`{name, deployments, provider, fallbacks[]}` per public model name."},
                    {"providers", T::kArray,
                     "`{name, display_name, format, auth, models, credential, source, hint}` "
                     "per provider; `credential` is `ok` or `missing`, and `hint` says how to "
                     "fix a missing one."},
                    {"master_key_set", T::kBoolean,
                     "Whether clients must present general_settings.master_key."},
                    {"warnings", T::kArray, "Config warnings from the last load."},
                    {"cooldowns", T::kArray, "Same entries as `cooldowns.list`."},
                    {"recent_errors", T::kArray,
                     "The last warnings and errors from the log ring (up to 5), oldest first: "
                     "`{ts, level, component, msg}`."},
                },
        },
        {
            .name = "reload",
            .summary = "Re-read .env and the config; swap only when the new config is valid.",
            .description =
                "Parses and validates the config file again. On success the new model list and "
                "router settings take effect for new requests; on failure the daemon keeps "
                "serving the old config and the error carries the problems in "
                "`error.data.errors` (code `failed_precondition`). SIGHUP does the same.",
            .result =
                {
                    {"reloaded", T::kBoolean, "Always true on success."},
                    {"config_path", T::kString, "The file read."},
                    {"model_count", T::kInteger, "Public model names now served."},
                    {"warnings", T::kArray, "Warnings from the new config."},
                },
            .flags = kFlagMutating,
        },
        {
            .name = "restart",
            .summary = "Restart in place: drain, then exec the (possibly updated) binary again.",
            .description =
                "The daemon stops accepting but keeps its HTTP listening socket open, so new "
                "connections wait in the kernel queue instead of being refused; in-flight "
                "requests finish (up to `drain_s`); then it re-executes its binary with the "
                "same pid and arguments, handing the socket over. A service manager sees no "
                "exit. The control socket goes away for a moment: reconnect and call "
                "`rpc.hello` to see the new process (its `status.started_at` changes).",
            .params = {{.name = "drain_s",
                        .type = T::kInteger,
                        .default_json = "30",
                        .help = "Longest wait for in-flight requests before the exec.",
                        .min = 0,
                        .max = 3600}},
            .result = {{"restarting", T::kBoolean, "Always true."},
                       {"pid", T::kInteger, "The pid, which the new process keeps."}},
            .flags = kFlagMutating,
        },
        {
            .name = "shutdown",
            .summary = "Stop the daemon: stop accepting, drain in-flight requests, exit 0.",
            .result = {{"stopping", T::kBoolean, "Always true."}},
            .flags = kFlagMutating,
        },
        {
            .name = "cooldowns.list",
            .summary = "List deployments that are cooling down or have recent failures.",
            .description =
                "A deployment cools down after `router_settings.allowed_fails` consecutive "
                "failures, or at once on a rate limit; while cooling it is skipped and the next "
                "fallback answers. A cooldown lasts what the upstream asked for (Retry-After, "
                "capped by `max_cooldown_time`) or `cooldown_time`, and ends by itself. A plan "
                "quota's cooldown (Codex `usage_limit_reached`) also ends early when the quota "
                "source says there is room (headers of other answers, or the usage endpoint "
                "every `general_settings.quota_check_interval_s`): the deployment is then "
                "half-open, and one request probes it.",
            .result =
                {
                    {"cooldowns", T::kArray,
                     "`{deployment, cooling, remaining_s, consecutive_failures, reason, "
                     "half_open, quota_account, quota}`, soonest-healing first; `deployment` is "
                     "`<model_name>@<provider/model>`; `quota` is the last reading of a quota "
                     "cooldown's account."},
                    {"quotas", T::kArray,
                     "`{account, reading, age_s, room}`: the latest reading of each plan "
                     "quota litellmd has seen (response headers, `codex.rate_limits` stream "
                     "events, the usage endpoint), most recent first, whether or not anything "
                     "cools for it."},
                },
        },
        {
            .name = "cooldowns.reset",
            .summary = "End cooldowns now: one deployment, every deployment of a model, or all.",
            .params = {{.name = "name",
                        .type = T::kString,
                        .default_json = "\"\"",
                        .help = "A deployment (`<model_name>@<provider/model>`) or a model "
                                "name; empty resets everything."}},
            .result = {{"reset", T::kInteger, "How many deployments were cooling."}},
            .flags = kFlagMutating,
            .example_params = R"({"name":"claude-opus-4-6"})",
        },
        {
            .name = "logs.tail",
            .summary = "Return the most recent log records from the in-memory ring (as many as "
                       "fit in one 1 MiB reply line).",
            .params =
                {
                    {.name = "n",
                     .type = T::kInteger,
                     .default_json = "100",
                     .help = "How many records at most.",
                     .min = 0,
                     .max = 100000},
                    {.name = "level",
                     .type = T::kString,
                     .default_json = "\"debug\"",
                     .help = "Lowest level included.",
                     .choices = "debug|info|warn|error"},
                },
            .result =
                {
                    {"records", T::kArray, kLogRecordShape},
                    {"ring_size", T::kInteger, "Capacity of the ring buffer."},
                },
            .example_params = R"({"n":20,"level":"info"})",
        },
        {
            .name = "logs.follow",
            .summary = "Stream log records as notifications until the client disconnects.",
            .description =
                "After the result, the connection carries `log` notifications, one per record. "
                "Each subscriber has a bounded queue: when it fills (a slow reader), records are "
                "dropped rather than blocking the daemon, and a `log.dropped` notification "
                "`{count}` reports how many before the next record. Not allowed in a batch.",
            .params =
                {
                    {.name = "level",
                     .type = T::kString,
                     .default_json = "\"info\"",
                     .help = "Lowest level streamed.",
                     .choices = "debug|info|warn|error"},
                    {.name = "backlog",
                     .type = T::kInteger,
                     .default_json = "0",
                     .help = "Also send this many recent records from the ring first.",
                     .min = 0,
                     .max = 100000},
                },
            .result =
                {
                    {"following", T::kBoolean, "Always true."},
                    {"level", T::kString, "The level in effect."},
                    {"queue_limit", T::kInteger, "Records buffered for this client before drops."},
                },
            .flags = kFlagStreaming,
            .example_params = R"({"level":"debug","backlog":10})",
            .notification =
                "`{\"jsonrpc\":\"2.0\",\"method\":\"log\",\"params\":{seq,ts,level,component,"
                "msg}}` and `{\"jsonrpc\":\"2.0\",\"method\":\"log.dropped\",\"params\":{"
                "\"count\":N}}`",
        },
    };
    std::sort(table.begin(), table.end(),
              [](const MethodSpec& a, const MethodSpec& b) { return a.name < b.name; });
    return table;
}

bool type_matches(JsonType type, const rapidjson::Value& v) {
    switch (type) {
        case T::kString:
            return v.IsString();
        case T::kInteger:
            return v.IsInt64() || v.IsUint64();
        case T::kNumber:
            return v.IsNumber();
        case T::kBoolean:
            return v.IsBool();
        case T::kObject:
            return v.IsObject();
        case T::kArray:
            return v.IsArray();
        case T::kAny:
            return true;
    }
    return false;
}

bool choice_allowed(std::string_view choices, std::string_view value) {
    size_t start = 0;
    while (start <= choices.size()) {
        size_t bar = choices.find('|', start);
        if (bar == std::string_view::npos) bar = choices.size();
        if (choices.substr(start, bar - start) == value) return true;
        start = bar + 1;
    }
    return false;
}

std::string flags_text(const MethodSpec& spec) {
    std::string out;
    if (spec.mutating()) out += "mutating";
    if (spec.streaming()) out += out.empty() ? "streaming" : ", streaming";
    return out.empty() ? "read-only" : out;
}

// Escapes '|' so free text fits in a Markdown table cell.
std::string cell(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '|')
            out += "\\|";
        else
            out += c;
    }
    return out;
}

}  // namespace

std::string_view json_type_name(JsonType type) {
    switch (type) {
        case T::kString:
            return "string";
        case T::kInteger:
            return "integer";
        case T::kNumber:
            return "number";
        case T::kBoolean:
            return "boolean";
        case T::kObject:
            return "object";
        case T::kArray:
            return "array";
        case T::kAny:
            return "any";
    }
    return "any";
}

const std::vector<MethodSpec>& method_table() {
    static const std::vector<MethodSpec> table = build_table();
    return table;
}

const MethodSpec* find_method(std::string_view name) {
    for (const auto& spec : method_table()) {
        if (spec.name == name) return &spec;
    }
    return nullptr;
}

std::optional<std::string> check_params(const MethodSpec& spec, rapidjson::Value& params,
                                        rapidjson::Document::AllocatorType& alloc) {
    if (params.IsNull()) params.SetObject();
    if (!params.IsObject()) {
        return fmt::format("params must be an object (by name); usage: {}", usage(spec));
    }
    for (auto it = params.MemberBegin(); it != params.MemberEnd(); ++it) {
        std::string_view key(it->name.GetString(), it->name.GetStringLength());
        bool known = std::any_of(spec.params.begin(), spec.params.end(),
                                 [&](const ParamSpec& p) { return p.name == key; });
        if (!known) {
            return fmt::format("unknown param '{}'; usage: {}", key, usage(spec));
        }
    }
    for (const auto& p : spec.params) {
        std::string name(p.name);
        auto it = params.FindMember(name.c_str());
        if (it == params.MemberEnd() || it->value.IsNull()) {
            if (it != params.MemberEnd()) params.RemoveMember(name.c_str());
            if (p.required) {
                return fmt::format("missing required param '{}'; usage: {}", p.name, usage(spec));
            }
            if (!p.default_json.empty()) {
                rapidjson::Document def;
                json_parse(p.default_json, def);
                rapidjson::Value copy(def, alloc);
                params.AddMember(json_str(p.name, alloc), copy, alloc);
            }
            continue;
        }
        const rapidjson::Value& v = it->value;
        if (!type_matches(p.type, v)) {
            return fmt::format("param '{}' must be {} {}; usage: {}", p.name,
                               p.type == T::kInteger || p.type == T::kArray ? "an" : "a",
                               json_type_name(p.type), usage(spec));
        }
        if (p.type == T::kInteger) {
            long long n = v.IsInt64() ? v.GetInt64() : static_cast<long long>(v.GetUint64());
            if ((p.min && n < *p.min) || (p.max && n > *p.max)) {
                return fmt::format("param '{}' must be between {} and {}", p.name,
                                   p.min ? std::to_string(*p.min) : "-inf",
                                   p.max ? std::to_string(*p.max) : "inf");
            }
        }
        if (p.type == T::kString && !p.choices.empty() &&
            !choice_allowed(p.choices, {v.GetString(), v.GetStringLength()})) {
            return fmt::format("param '{}' must be one of {}", p.name, p.choices);
        }
    }
    return std::nullopt;
}

std::vector<std::string> check_result(const MethodSpec& spec, const rapidjson::Value& result) {
    std::vector<std::string> problems;
    if (!result.IsObject()) {
        problems.push_back(fmt::format("{}: result is not an object", spec.name));
        return problems;
    }
    for (const auto& field : spec.result) {
        // Walk dotted names into nested objects.
        const rapidjson::Value* cur = &result;
        std::string_view rest = field.name;
        bool found = true;
        while (found) {
            size_t dot = rest.find('.');
            std::string part(rest.substr(0, dot));
            if (!cur->IsObject()) {
                found = false;
                break;
            }
            auto it = cur->FindMember(part.c_str());
            if (it == cur->MemberEnd()) {
                found = false;
                break;
            }
            cur = &it->value;
            if (dot == std::string_view::npos) break;
            rest = rest.substr(dot + 1);
        }
        if (!found) {
            if (!field.optional) {
                problems.push_back(fmt::format("{}: result lacks '{}'", spec.name, field.name));
            }
        } else if (!type_matches(field.type, *cur)) {
            problems.push_back(fmt::format("{}: result field '{}' is not {}", spec.name, field.name,
                                           json_type_name(field.type)));
        }
    }
    return problems;
}

std::string usage(const MethodSpec& spec) {
    std::string out(spec.name);
    for (const auto& p : spec.params) {
        std::string item = fmt::format("{}:{}", p.name, json_type_name(p.type));
        if (!p.default_json.empty()) item += "=" + std::string(p.default_json);
        out += p.required ? " " + item : " [" + item + "]";
    }
    return out;
}

void spec_to_json(const MethodSpec& spec, rapidjson::Value& out,
                  rapidjson::Document::AllocatorType& alloc) {
    out.SetObject();
    out.AddMember("name", json_str(spec.name, alloc), alloc);
    out.AddMember("summary", json_str(spec.summary, alloc), alloc);
    if (!spec.description.empty()) {
        out.AddMember("description", json_str(spec.description, alloc), alloc);
    }
    rapidjson::Value params(rapidjson::kArrayType);
    for (const auto& p : spec.params) {
        rapidjson::Value item(rapidjson::kObjectType);
        item.AddMember("name", json_str(p.name, alloc), alloc);
        item.AddMember("type", json_str(json_type_name(p.type), alloc), alloc);
        item.AddMember("required", p.required, alloc);
        if (!p.default_json.empty()) {
            rapidjson::Document def;
            json_parse(p.default_json, def);
            item.AddMember("default", rapidjson::Value(def, alloc), alloc);
        }
        if (!p.choices.empty()) item.AddMember("choices", json_str(p.choices, alloc), alloc);
        if (p.min) item.AddMember("min", static_cast<int64_t>(*p.min), alloc);
        if (p.max) item.AddMember("max", static_cast<int64_t>(*p.max), alloc);
        item.AddMember("help", json_str(p.help, alloc), alloc);
        params.PushBack(item, alloc);
    }
    out.AddMember("params", params, alloc);
    rapidjson::Value result(rapidjson::kArrayType);
    for (const auto& f : spec.result) {
        rapidjson::Value item(rapidjson::kObjectType);
        item.AddMember("name", json_str(f.name, alloc), alloc);
        item.AddMember("type", json_str(json_type_name(f.type), alloc), alloc);
        item.AddMember("help", json_str(f.help, alloc), alloc);
        if (f.optional) item.AddMember("optional", true, alloc);
        result.PushBack(item, alloc);
    }
    out.AddMember("result", result, alloc);
    rapidjson::Value flags(rapidjson::kArrayType);
    if (spec.mutating()) flags.PushBack("mutating", alloc);
    if (spec.streaming()) flags.PushBack("streaming", alloc);
    out.AddMember("flags", flags, alloc);
    out.AddMember("since_protocol", spec.since_protocol, alloc);
}

std::string render_protocol_markdown() {
    std::string md;
    md += "# litellmd control protocol\n\n";
    md +=
        "<!-- Generated from proto/methods.cpp and proto/errors.cpp by `scripts/gen-rpc-docs` "
        "(`litellmctl docs protocol`). Do not edit: a unit test fails when this file is "
        "stale. -->\n\n";
    md += fmt::format(
        "Protocol version **{}** (oldest compatible client: {}). JSON-RPC 2.0, one JSON object "
        "per line (`\\n`-terminated, at most 1 MiB), over the Unix stream socket "
        "`$LITELLM_HOME/litellmd.sock` (mode 0600; the daemon also checks the peer's uid with "
        "`SO_PEERCRED`). When that path would exceed the `sun_path` limit, the socket lives in "
        "`$XDG_RUNTIME_DIR/litellm/` instead; `LITELLM_SOCKET` overrides both.\n\n",
        kProtocolVersion, kMinCompatProtocol);
    md += fmt::format(
        "Params are passed by name (an object). Batches (arrays) are accepted except for "
        "streaming methods; notifications (no `id`) are executed and get no answer. An idle "
        "connection is closed after {} s; at most {} clients at once; a `logs.follow` client "
        "has a queue of {} records. JSON nested deeper than {} levels is a parse error. A "
        "client that pipelines requests without reading the replies is read from again only "
        "once no more than {} MiB of replies wait for it. A batch holds at most {} calls, and "
        "one whose replies would pass the line limit gets one error instead.\n\n",
        kIdleTimeoutSeconds, kMaxClients, kFollowQueueLimit, kMaxJsonDepth,
        kMaxReplyQueueBytes / (2 * 1024 * 1024), kMaxBatchCalls);
    md +=
        "Try it with a plain socket client:\n\n```sh\n"
        "printf '%s\\n' '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}' | "
        "socat - UNIX-CONNECT:$HOME/.litellm/litellmd.sock\n"
        "litellmctl rpc status            # the same through the CLI\n```\n\n";
    md +=
        "Versioning: the protocol number goes up only when an existing method changes "
        "incompatibly. New methods, new optional params and new result fields do not bump "
        "it; clients ignore fields they do not know.\n\n";
    md += "## Methods\n\n| method | summary | flags |\n|---|---|---|\n";
    for (const auto& spec : method_table()) {
        md += fmt::format(
            "| [`{}`](#{}) | {} | {} |\n", spec.name,
            [&] {
                std::string anchor;
                for (char c : spec.name) {
                    if (c != '.') anchor += c;
                }
                return anchor;
            }(),
            cell(spec.summary), flags_text(spec));
    }
    md += "\n";
    for (const auto& spec : method_table()) {
        md += fmt::format("### `{}`\n\n{}\n\n", spec.name, spec.summary);
        if (!spec.description.empty()) md += std::string(spec.description) + "\n\n";
        md += fmt::format("Flags: {}. Since protocol {}. Usage: `{}`\n\n", flags_text(spec),
                          spec.since_protocol, usage(spec));
        if (spec.params.empty()) {
            md += "Params: none.\n\n";
        } else {
            md += "| param | type | default | meaning |\n|---|---|---|---|\n";
            for (const auto& p : spec.params) {
                std::string def = p.required ? "required"
                                  : p.default_json.empty()
                                      ? "(none)"
                                      : "`" + std::string(p.default_json) + "`";
                std::string help(p.help);
                if (!p.choices.empty()) help += " One of `" + std::string(p.choices) + "`.";
                md += fmt::format("| `{}` | {} | {} | {} |\n", p.name, json_type_name(p.type), def,
                                  cell(help));
            }
            md += "\n";
        }
        md += "| result field | type | meaning |\n|---|---|---|\n";
        for (const auto& f : spec.result) {
            md += fmt::format("| `{}` | {} | {}{} |\n", f.name, json_type_name(f.type),
                              cell(f.help), f.optional ? " (optional)" : "");
        }
        md += "\n";
        if (!spec.notification.empty()) {
            md += fmt::format("Notifications: {}\n\n", spec.notification);
        }
        md += fmt::format(
            "Example request:\n\n```json\n{{\"jsonrpc\":\"2.0\",\"id\":1,"
            "\"method\":\"{}\"{}}}\n```\n\n",
            spec.name,
            spec.example_params.empty() ? std::string()
                                        : ",\"params\":" + std::string(spec.example_params));
    }
    md +=
        "## Error codes\n\nErrors are JSON-RPC error objects `{code, message, data?}`; "
        "`message` is written for a person and says what to do.\n\n"
        "| code | name | meaning |\n|---|---|---|\n";
    for (const auto& e : error_table()) {
        md += fmt::format("| {} | `{}` | {} |\n", static_cast<int>(e.code), e.name, cell(e.help));
    }
    md +=
        "\n## Exit codes\n\nBoth `litellmctl` and `litellmd` exit with these codes.\n\n"
        "| code | name | meaning |\n|---|---|---|\n";
    for (const auto& e : exit_table()) {
        md += fmt::format("| {} | `{}` | {} |\n", static_cast<int>(e.code), e.name, cell(e.help));
    }
    return md;
}

}  // namespace litellm::proto
