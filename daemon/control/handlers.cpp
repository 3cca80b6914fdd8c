#include "daemon/control/handlers.hpp"

#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "common/json.hpp"
#include "common/oauth.hpp"
#include "common/text.hpp"
#include "common/token_file.hpp"
#include "daemon/auth/token_store.hpp"
#include "daemon/daemon.hpp"
#include "daemon/router/router.hpp"
#include "proto/limits.hpp"
#include "proto/methods.hpp"
#include "proto/version.hpp"

namespace litellm {

namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

Value string_array(const std::vector<std::string>& items, Alloc& a) {
    Value arr(rapidjson::kArrayType);
    for (const auto& s : items)
        arr.PushBack(json_str(s, a), a);
    return arr;
}

std::string rfc3339(std::chrono::system_clock::time_point tp) {
    return format_timestamp(
        std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count());
}

Value log_record_json(const LogRecord& r, Alloc& a) {
    Value v(rapidjson::kObjectType);
    v.AddMember("seq", r.seq, a);
    v.AddMember("ts", json_str(format_timestamp(r.ts_ms), a), a);
    v.AddMember("level", json_str(log_level_name(r.level), a), a);
    v.AddMember("component", json_str(r.component, a), a);
    v.AddMember("msg", json_str(r.message, a), a);
    return v;
}

LogLevel level_param(const Value& params, const char* name) {
    return parse_log_level(json_get_string(params, name, "info")).value_or(LogLevel::kInfo);
}

HandlerReply ok(rapidjson::Document&& doc) {
    HandlerReply r;
    r.result = std::move(doc);
    return r;
}

Value cooldowns_json(router::CooldownTable& table, Alloc& a) {
    Value arr(rapidjson::kArrayType);
    for (const auto& e : table.list()) {
        Value v(rapidjson::kObjectType);
        v.AddMember("deployment", json_str(e.key, a), a);
        v.AddMember("cooling", e.cooling, a);
        v.AddMember("remaining_s", e.remaining_s, a);
        v.AddMember("consecutive_failures", e.consecutive_failures, a);
        v.AddMember("reason", json_str(e.reason, a), a);
        // A plan quota's cooldown: whose quota, the last reading, and whether it is half-open
        // (reopened early for one probe request).
        v.AddMember("half_open", e.half_open, a);
        v.AddMember("quota_account", json_str(e.quota_account, a), a);
        v.AddMember("quota", json_str(e.quota_note, a), a);
        arr.PushBack(v, a);
    }
    return arr;
}

// The model names and deployment keys a cooldown can be reset by.
std::vector<std::string> reset_names(Daemon& daemon) {
    std::vector<std::string> names;
    if (auto cfg = daemon.config()) {
        names = cfg->model_names();
        for (const Deployment& d : cfg->model_list)
            names.push_back(router::deployment_key(d));
    }
    for (const auto& e : daemon.cooldowns().list())
        names.push_back(e.key);
    return names;
}

bool names_a_deployment(Daemon& daemon, const std::string& name) {
    for (const std::string& n : reset_names(daemon)) {
        if (n == name || n.rfind(name + "@", 0) == 0) return true;
    }
    return false;
}

// The known name nearest to `name`, when it is near enough to be a typo of it.
std::string closest_name(Daemon& daemon, const std::string& name) {
    return closest_match(name, reset_names(daemon));
}

HandlerReply unknown_provider(const std::string& name);

// The store and the provider an auth.* call names; the reply to send instead when either is
// missing.
std::optional<HandlerReply> oauth_target(Daemon& daemon, const rapidjson::Value& params,
                                         auth::TokenStore*& store, const OAuthSpec*& spec) {
    std::string provider(json_get_string(params, "provider"));
    spec = find_oauth_spec(provider);
    if (!spec) return unknown_provider(provider);
    store = daemon.tokens();
    if (!store) return HandlerReply::failure(proto::ErrorCode::kUnavailable, "no token store");
    return std::nullopt;
}

HandlerReply unknown_provider(const std::string& name) {
    std::vector<std::string> names;
    for (const OAuthSpec& s : oauth_specs()) {
        names.emplace_back(s.provider);
        names.emplace_back(s.login);
    }
    std::string hint = closest_match(name, names);
    return HandlerReply::failure(
        proto::ErrorCode::kNotFound,
        fmt::format("'{}' has no OAuth login (known: qwen_portal, chatgpt, gemini_cli){}", name,
                    hint.empty() ? "" : "; did you mean '" + hint + "'?"));
}

rapidjson::Value optional_time(const std::optional<std::int64_t>& t) {
    return t ? rapidjson::Value(static_cast<int64_t>(*t)) : rapidjson::Value();
}

rapidjson::Value credential_json(const auth::CredentialStatus& c,
                                 rapidjson::Document::AllocatorType& a) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("provider", json_str(c.provider, a), a);
    v.AddMember("login", json_str(c.login, a), a);
    v.AddMember("file", json_str(c.file, a), a);
    v.AddMember("state", rapidjson::StringRef(auth::credential_state_name(c.state)), a);
    v.AddMember("used", c.used, a);
    v.AddMember("account", json_str(c.account, a), a);
    v.AddMember("plan", json_str(c.plan, a), a);
    v.AddMember("expires_at", optional_time(c.expires_at), a);
    v.AddMember("last_refresh", optional_time(c.last_refresh), a);
    v.AddMember("next_refresh_at", optional_time(c.next_refresh_at), a);
    v.AddMember("refreshes", static_cast<uint64_t>(c.refreshes), a);
    v.AddMember("last_error", json_str(c.last_error, a), a);
    return v;
}

HandlerReply auth_result(auth::TokenStore& store, const std::string& provider,
                         const std::string& message, bool with_state = true) {
    HandlerReply r;
    r.result.SetObject();
    auto& a = r.result.GetAllocator();
    r.result.AddMember("provider", json_str(provider, a), a);
    for (const auto& c : store.status()) {
        if (c.provider != provider) continue;
        r.result.AddMember("file", json_str(c.file, a), a);
        if (with_state) {
            r.result.AddMember("state", rapidjson::StringRef(auth::credential_state_name(c.state)),
                               a);
        }
    }
    r.result.AddMember("message", json_str(message, a), a);
    return r;
}

}  // namespace

HandlerReply HandlerReply::failure(proto::ErrorCode code, std::string message) {
    HandlerReply r;
    r.error = RpcError{code, std::move(message), {}};
    return r;
}

std::vector<std::string> dispatcher_mismatches(const std::vector<std::string>& handler_names) {
    std::vector<std::string> out;
    for (const auto& spec : proto::method_table()) {
        if (std::find(handler_names.begin(), handler_names.end(), spec.name) ==
            handler_names.end()) {
            out.push_back(fmt::format("method '{}' has no handler", spec.name));
        }
    }
    for (const auto& name : handler_names) {
        if (!proto::find_method(name)) {
            out.push_back(fmt::format("handler '{}' is not in the method table", name));
        }
    }
    return out;
}

void RpcDispatcher::bind(std::string_view name, Handler handler) {
    if (!m_handlers.emplace(std::string(name), std::move(handler)).second) {
        throw std::logic_error(fmt::format("duplicate handler for '{}'", name));
    }
}

RpcDispatcher::RpcDispatcher(Daemon& daemon) : m_daemon(daemon) {
    bind("rpc.hello", [](const Value& params, CallContext&) {
        long long client_protocol = json_get_int(params, "protocol", proto::kProtocolVersion);
        std::string_view client = json_get_string(params, "client");
        if (client_protocol < proto::kMinCompatProtocol) {
            return HandlerReply::failure(
                proto::ErrorCode::kIncompatible,
                fmt::format("client protocol {} is older than the oldest this litellmd ({}) "
                            "serves ({}); update litellmctl",
                            client_protocol, proto::kVersion, proto::kMinCompatProtocol));
        }
        if (!client.empty()) log_debug("control", "hello from {}", client);
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("daemon_version", rapidjson::StringRef(proto::kVersion), a);
        d.AddMember("protocol", proto::kProtocolVersion, a);
        d.AddMember("min_protocol", proto::kMinCompatProtocol, a);
        d.AddMember("pid", static_cast<int64_t>(getpid()), a);
        Value caps(rapidjson::kArrayType);
        for (const auto& spec : proto::method_table())
            caps.PushBack(json_str(spec.name, a), a);
        d.AddMember("capabilities", caps, a);
        return ok(std::move(d));
    });

    bind("rpc.describe", [](const Value& params, CallContext&) {
        std::string_view only = json_get_string(params, "method");
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("protocol", proto::kProtocolVersion, a);
        Value methods(rapidjson::kArrayType);
        for (const auto& spec : proto::method_table()) {
            if (!only.empty() && spec.name != only) continue;
            Value v;
            proto::spec_to_json(spec, v, a);
            methods.PushBack(v, a);
        }
        if (!only.empty() && methods.Empty()) {
            return HandlerReply::failure(proto::ErrorCode::kNotFound,
                                         fmt::format("no method '{}'", only));
        }
        d.AddMember("methods", methods, a);
        return ok(std::move(d));
    });

    bind("status", [this](const Value&, CallContext&) {
        auto cfg = m_daemon.config();
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("version", rapidjson::StringRef(proto::kVersion), a);
        d.AddMember("protocol", proto::kProtocolVersion, a);
        d.AddMember("pid", static_cast<int64_t>(getpid()), a);
        d.AddMember("uptime_s", m_daemon.uptime_seconds(), a);
        d.AddMember("started_at", json_str(rfc3339(m_daemon.started_at()), a), a);
        Value listen(rapidjson::kObjectType);
        listen.AddMember("host", json_str(m_daemon.options().host, a), a);
        listen.AddMember("port", m_daemon.http_port(), a);
        listen.AddMember("url", json_str(m_daemon.http_url(), a), a);
        listen.AddMember("connections", m_daemon.http_connections(), a);
        listen.AddMember("streams", m_daemon.http_streams(), a);
        d.AddMember("listen", listen, a);
        d.AddMember("home", json_str(m_daemon.paths().home, a), a);
        d.AddMember("config_path", json_str(m_daemon.config_path(), a), a);
        d.AddMember("config_loaded_at", json_str(rfc3339(m_daemon.config_loaded_at()), a), a);
        d.AddMember("socket", json_str(m_daemon.paths().socket, a), a);
        d.AddMember("log_file", json_str(m_daemon.paths().log_file, a), a);
        auto names = cfg->model_names();
        d.AddMember("model_count", static_cast<uint64_t>(names.size()), a);
        Value models(rapidjson::kArrayType);
        for (const auto& name : names) {
            Value m(rapidjson::kObjectType);
            auto deps = cfg->deployments_for(name);
            m.AddMember("name", json_str(name, a), a);
            m.AddMember("deployments", static_cast<uint64_t>(deps.size()), a);
            m.AddMember("provider", json_str(deps.empty() ? "" : deps.front()->provider, a), a);
            const FallbackChain* chain = cfg->fallbacks_for(name);
            m.AddMember("fallbacks",
                        string_array(chain ? chain->fallbacks : std::vector<std::string>{}, a), a);
            models.PushBack(m, a);
        }
        d.AddMember("models", models, a);
        Value providers(rapidjson::kArrayType);
        for (const auto& p : m_daemon.provider_status()) {
            Value v(rapidjson::kObjectType);
            v.AddMember("name", json_str(p.name, a), a);
            v.AddMember("display_name", json_str(p.display_name, a), a);
            v.AddMember("format", json_str(p.format, a), a);
            v.AddMember("auth", json_str(p.auth, a), a);
            v.AddMember("models", string_array(p.models, a), a);
            v.AddMember("credential", rapidjson::StringRef(p.credential_ok ? "ok" : "missing"), a);
            v.AddMember("source", json_str(p.source, a), a);
            v.AddMember("hint", json_str(p.hint, a), a);
            providers.PushBack(v, a);
        }
        d.AddMember("providers", providers, a);
        d.AddMember("master_key_set", cfg->general.master_key.present(), a);
        d.AddMember("warnings", string_array(m_daemon.config_warnings(), a), a);
        d.AddMember("cooldowns", cooldowns_json(m_daemon.cooldowns(), a), a);
        Value recent(rapidjson::kArrayType);
        for (const auto& r : Logger::instance().tail(5, LogLevel::kWarn)) {
            recent.PushBack(log_record_json(r, a), a);
        }
        d.AddMember("recent_errors", recent, a);
        return ok(std::move(d));
    });

    bind("auth.status", [this](const Value&, CallContext&) {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        Value list(rapidjson::kArrayType);
        if (auth::TokenStore* store = m_daemon.tokens()) {
            for (const auto& c : store->status())
                list.PushBack(credential_json(c, a), a);
        }
        d.AddMember("providers", list, a);
        return ok(std::move(d));
    });

    bind("auth.refresh", [this](const Value& params, CallContext&) {
        auth::TokenStore* store = nullptr;
        const OAuthSpec* spec = nullptr;
        if (auto refused = oauth_target(m_daemon, params, store, spec)) return std::move(*refused);
        HandlerReply r;
        std::string name(spec->provider);
        r.later = [store, name](ReplyCallback done) {
            bool queued = store->post([store, name, done] {
                auth::StoreResult result = store->refresh(name);
                auth::TokenSnapshot snap = store->snapshot(name);
                if (!result.ok) {
                    done(HandlerReply::failure(result.not_found
                                                   ? proto::ErrorCode::kNotFound
                                                   : proto::ErrorCode::kUnauthenticated,
                                               result.message));
                    return;
                }
                rapidjson::Document d(rapidjson::kObjectType);
                auto& a = d.GetAllocator();
                d.AddMember("provider", json_str(name, a), a);
                d.AddMember("state", rapidjson::StringRef(auth::credential_state_name(snap.state)),
                            a);
                for (const auto& c : store->status()) {
                    if (c.provider == name && c.expires_at) {
                        d.AddMember("expires_at", static_cast<int64_t>(*c.expires_at), a);
                    }
                }
                d.AddMember("message", json_str(result.message, a), a);
                HandlerReply reply;
                reply.result = std::move(d);
                done(std::move(reply));
            });
            if (!queued) {
                done(HandlerReply::failure(proto::ErrorCode::kUnavailable,
                                           "too many refreshes queued; try again shortly"));
            }
        };
        return r;
    });

    bind("auth.import", [this](const Value& params, CallContext&) {
        auth::TokenStore* store = nullptr;
        const OAuthSpec* spec = nullptr;
        if (auto refused = oauth_target(m_daemon, params, store, spec)) return std::move(*refused);
        TokenParse parsed = parse_token_file(json_stringify(params["tokens"]));
        if (!parsed.ok) {
            return HandlerReply::failure(proto::ErrorCode::kInvalidParams,
                                         "tokens " + parsed.error);
        }
        auth::StoreResult result = store->import(spec->provider, std::move(parsed.record));
        if (!result.ok)
            return HandlerReply::failure(proto::ErrorCode::kInternalError, result.message);
        return auth_result(*store, std::string(spec->provider), result.message);
    });

    bind("auth.logout", [this](const Value& params, CallContext&) {
        auth::TokenStore* store = nullptr;
        const OAuthSpec* spec = nullptr;
        if (auto refused = oauth_target(m_daemon, params, store, spec)) return std::move(*refused);
        auth::StoreResult result = store->logout(spec->provider);
        if (!result.ok) {
            return HandlerReply::failure(
                result.not_found ? proto::ErrorCode::kNotFound : proto::ErrorCode::kInternalError,
                result.message);
        }
        return auth_result(*store, std::string(spec->provider), result.message, false);
    });

    bind("cooldowns.list", [this](const Value&, CallContext&) {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("cooldowns", cooldowns_json(m_daemon.cooldowns(), a), a);
        Value quotas(rapidjson::kArrayType);
        for (const auto& q : m_daemon.cooldowns().quotas()) {
            Value v(rapidjson::kObjectType);
            v.AddMember("account", json_str(q.account, a), a);
            v.AddMember("reading", json_str(q.reading, a), a);
            v.AddMember("age_s", q.age_s, a);
            v.AddMember("room", q.room, a);
            quotas.PushBack(v, a);
        }
        d.AddMember("quotas", quotas, a);
        return ok(std::move(d));
    });

    bind("cooldowns.reset", [this](const Value& params, CallContext&) {
        std::string name(json_get_string(params, "name"));
        if (!name.empty() && !names_a_deployment(m_daemon, name)) {
            // A typo must not look like a reset that found nothing cooling.
            std::string hint = closest_name(m_daemon, name);
            return HandlerReply::failure(
                proto::ErrorCode::kNotFound,
                fmt::format("no model or deployment named '{}'{}; `litellmctl cooldowns` lists "
                            "them, and `litellmctl status` the models",
                            name, hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
        }
        int n = m_daemon.cooldowns().reset(name);
        log_info("router", "cooldowns reset for {}: {} were cooling",
                 name.empty() ? "all deployments" : name, n);
        rapidjson::Document d(rapidjson::kObjectType);
        d.AddMember("reset", n, d.GetAllocator());
        return ok(std::move(d));
    });

    bind("reload", [this](const Value&, CallContext&) {
        ReloadResult r = m_daemon.reload();
        if (!r.ok) {
            HandlerReply reply = HandlerReply::failure(
                proto::ErrorCode::kFailedPrecondition,
                fmt::format("{} has {} error(s); still serving the previous config:\n{}",
                            m_daemon.config_path(), r.errors.size(), fmt::join(r.errors, "\n")));
            reply.error->data.SetObject();
            auto& a = reply.error->data.GetAllocator();
            reply.error->data.AddMember("errors", string_array(r.errors, a), a);
            return reply;
        }
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("reloaded", true, a);
        d.AddMember("config_path", json_str(m_daemon.config_path(), a), a);
        d.AddMember("model_count", static_cast<uint64_t>(r.model_count), a);
        d.AddMember("warnings", string_array(r.warnings, a), a);
        return ok(std::move(d));
    });

    bind("shutdown", [this](const Value&, CallContext& ctx) {
        m_daemon.request_shutdown(
            fmt::format("shutdown requested over the control socket "
                        "(uid {})",
                        ctx.peer_uid));
        rapidjson::Document d(rapidjson::kObjectType);
        d.AddMember("stopping", true, d.GetAllocator());
        return ok(std::move(d));
    });

    bind("restart", [this](const Value& params, CallContext& ctx) {
        auto drain = static_cast<double>(json_get_int(params, "drain_s", 30));
        log_info("control", "restart requested over the control socket (uid {})", ctx.peer_uid);
        m_daemon.request_restart(drain);
        rapidjson::Document d(rapidjson::kObjectType);
        d.AddMember("restarting", true, d.GetAllocator());
        d.AddMember("pid", static_cast<int64_t>(getpid()), d.GetAllocator());
        return ok(std::move(d));
    });

    bind("logs.tail", [](const Value& params, CallContext&) {
        auto n = static_cast<std::size_t>(json_get_int(params, "n", 100));
        auto records = Logger::instance().tail(n, level_param(params, "level"));
        // The newest records that fit in one reply line (a client reads at most kMaxLineBytes).
        std::size_t budget = proto::kMaxLineBytes - 4096, first = records.size();
        while (first > 0) {
            const LogRecord& r = records[first - 1];
            // Quotes and backslashes double when escaped (log text has no control bytes).
            std::size_t size = 2 * (r.message.size() + r.component.size()) + 96;
            if (size > budget) break;
            budget -= size;
            --first;
        }
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        Value arr(rapidjson::kArrayType);
        for (std::size_t i = first; i < records.size(); ++i)
            arr.PushBack(log_record_json(records[i], a), a);
        d.AddMember("records", arr, a);
        d.AddMember("ring_size", static_cast<uint64_t>(Logger::instance().ring_capacity()), a);
        return ok(std::move(d));
    });

    bind("logs.follow", [](const Value& params, CallContext& ctx) {
        if (ctx.in_batch) {
            return HandlerReply::failure(proto::ErrorCode::kInvalidRequest,
                                         "logs.follow streams; it cannot be part of a batch");
        }
        if (!ctx.start_follow) {
            return HandlerReply::failure(proto::ErrorCode::kFailedPrecondition,
                                         "this connection cannot stream");
        }
        LogLevel level = level_param(params, "level");
        auto backlog = static_cast<std::size_t>(json_get_int(params, "backlog", 0));
        std::size_t limit = ctx.start_follow(level, backlog);
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("following", true, a);
        d.AddMember("level", json_str(log_level_name(level), a), a);
        d.AddMember("queue_limit", static_cast<uint64_t>(limit), a);
        return ok(std::move(d));
    });

    std::vector<std::string> names;
    for (const auto& [name, _] : m_handlers)
        names.push_back(name);
    auto problems = dispatcher_mismatches(names);
    if (!problems.empty()) throw std::logic_error(fmt::format("{}", fmt::join(problems, "; ")));
}

std::string RpcDispatcher::dispatch(rpc::Request& request, CallContext& ctx) {
    const proto::MethodSpec* spec = proto::find_method(request.method);
    auto reply_error = [&](proto::ErrorCode code, const std::string& msg,
                           const rapidjson::Value* data = nullptr) {
        return request.has_id ? rpc::make_error(request.id(), code, msg, data) : std::string();
    };
    if (!spec) {
        return reply_error(proto::ErrorCode::kMethodNotFound,
                           fmt::format("unknown method '{}'; `litellmctl rpc rpc.describe` "
                                       "lists the methods",
                                       request.method));
    }
    if (auto problem = proto::check_params(*spec, request.params(), request.doc.GetAllocator())) {
        return reply_error(proto::ErrorCode::kInvalidParams, *problem);
    }
    auto it = m_handlers.find(request.method);
    HandlerReply reply;
    try {
        reply = it->second(request.params(), ctx);
    } catch (const std::exception& e) {
        log_error("control", "handler {} failed: {}", request.method, e.what());
        return reply_error(proto::ErrorCode::kInternalError,
                           fmt::format("internal error in {}: {}", request.method, e.what()));
    }
    if (reply.error) {
        return reply_error(reply.error->code, reply.error->message, &reply.error->data);
    }
    if (reply.later) {
        if (ctx.in_batch || !ctx.send_line) {
            return reply_error(proto::ErrorCode::kInvalidRequest,
                               fmt::format("{} is not allowed in a batch", request.method));
        }
        auto id = std::make_shared<rapidjson::Document>();
        id->CopyFrom(request.id(), id->GetAllocator());
        bool has_id = request.has_id;
        reply.later([id, has_id, send = ctx.send_line](HandlerReply done) {
            if (!has_id) return;
            if (done.error) {
                send(
                    rpc::make_error(*id, done.error->code, done.error->message, &done.error->data));
            } else {
                send(rpc::make_result(*id, done.result));
            }
        });
        return {};
    }
    return request.has_id ? rpc::make_result(request.id(), reply.result) : std::string();
}

std::string RpcDispatcher::handle_line(std::string_view line, CallContext& ctx) {
    rpc::ParsedLine parsed = rpc::parse_line(line);
    if (!parsed.fatal_reply.empty()) return parsed.fatal_reply;
    ctx.in_batch = parsed.is_batch;
    std::vector<std::string> replies;
    std::size_t reply_bytes = 0;
    for (auto& item : parsed.items) {
        std::string reply = item.request ? dispatch(*item.request, ctx) : item.error_reply;
        reply_bytes += reply.size() + 1;
        if (parsed.is_batch && reply_bytes > proto::kMaxLineBytes) {
            // A batch answers in one line, which may not pass the line limit; and one line of
            // calls must not build replies without bound (1 MiB holds thousands of logs.tail
            // calls). The calls after this one are not run.
            ctx.in_batch = false;
            rapidjson::Value null;
            return rpc::make_error(
                null, proto::ErrorCode::kInvalidRequest,
                fmt::format("the replies to this batch pass {} MiB, so none are sent (the calls "
                            "before the limit ran, the rest did not); send fewer calls per batch",
                            proto::kMaxLineBytes >> 20));
        }
        if (!reply.empty()) replies.push_back(std::move(reply));
    }
    ctx.in_batch = false;
    if (!parsed.is_batch) return replies.empty() ? std::string() : replies.front();
    // A batch of notifications only gets no reply at all (JSON-RPC 2.0 section 6).
    if (replies.empty()) return {};
    return fmt::format("[{}]", fmt::join(replies, ","));
}

}  // namespace litellm
