#include "common/jsonrpc.hpp"

#include "common/json.hpp"
#include "proto/limits.hpp"

namespace litellm::rpc {

namespace {

const rapidjson::Value& null_value() {
    static const rapidjson::Value null;
    return null;
}

std::string error_reply(const rapidjson::Value& id, proto::ErrorCode code, std::string_view msg) {
    return make_error(id, code, msg);
}

// Validates one request object; on failure returns an Item holding the error reply.
Item parse_request(const rapidjson::Value& value) {
    Item item;
    if (!value.IsObject()) {
        item.error_reply = error_reply(null_value(), proto::ErrorCode::kInvalidRequest,
                                       "a request must be a JSON object");
        return item;
    }
    // The id is echoed in error replies only when it has a valid type.
    const rapidjson::Value* id = &null_value();
    auto id_it = value.FindMember("id");
    bool has_id = id_it != value.MemberEnd();
    if (has_id) {
        const auto& v = id_it->value;
        if (!(v.IsString() || v.IsInt64() || v.IsUint64() || v.IsNull())) {
            item.error_reply = error_reply(null_value(), proto::ErrorCode::kInvalidRequest,
                                           "id must be a string, an integer or null");
            return item;
        }
        id = &v;
    }
    auto ver = value.FindMember("jsonrpc");
    if (ver == value.MemberEnd() || !ver->value.IsString() ||
        std::string_view(ver->value.GetString()) != "2.0") {
        item.error_reply =
            error_reply(*id, proto::ErrorCode::kInvalidRequest, "missing \"jsonrpc\":\"2.0\"");
        return item;
    }
    auto method = value.FindMember("method");
    if (method == value.MemberEnd() || !method->value.IsString()) {
        item.error_reply =
            error_reply(*id, proto::ErrorCode::kInvalidRequest, "method must be a string");
        return item;
    }
    auto params = value.FindMember("params");
    if (params != value.MemberEnd() && !params->value.IsObject() && !params->value.IsArray() &&
        !params->value.IsNull()) {
        item.error_reply = error_reply(*id, proto::ErrorCode::kInvalidRequest,
                                       "params must be an object or an array");
        return item;
    }
    Request req;
    req.doc.CopyFrom(value, req.doc.GetAllocator());
    req.has_id = has_id;
    req.method.assign(method->value.GetString(), method->value.GetStringLength());
    if (!req.doc.HasMember("params")) {
        req.doc.AddMember("params", rapidjson::Value(), req.doc.GetAllocator());
    }
    item.request = std::move(req);
    return item;
}

}  // namespace

const rapidjson::Value& Request::id() const {
    auto it = doc.FindMember("id");
    return it == doc.MemberEnd() ? null_value() : it->value;
}

rapidjson::Value& Request::params() {
    return doc["params"];
}

ParsedLine parse_line(std::string_view line) {
    ParsedLine out;
    rapidjson::Document doc;
    std::string err;
    if (!json_parse(line, doc, &err)) {
        out.fatal_reply =
            error_reply(null_value(), proto::ErrorCode::kParseError, "invalid JSON: " + err);
        return out;
    }
    if (doc.IsArray()) {
        out.is_batch = true;
        if (doc.Empty()) {
            out.fatal_reply =
                error_reply(null_value(), proto::ErrorCode::kInvalidRequest, "empty batch");
            return out;
        }
        if (doc.Size() > proto::kMaxBatchCalls) {
            // Each call becomes a request of its own: thousands in one line would multiply
            // the line's size many times over in memory.
            out.fatal_reply = error_reply(
                null_value(), proto::ErrorCode::kInvalidRequest,
                "a batch holds at most " + std::to_string(proto::kMaxBatchCalls) + " calls");
            return out;
        }
        for (const auto& element : doc.GetArray())
            out.items.push_back(parse_request(element));
        return out;
    }
    out.items.push_back(parse_request(doc));
    return out;
}

std::string make_result(const rapidjson::Value& id, const rapidjson::Value& result) {
    rapidjson::Document reply(rapidjson::kObjectType);
    auto& a = reply.GetAllocator();
    reply.AddMember("jsonrpc", "2.0", a);
    reply.AddMember("id", rapidjson::Value(id, a), a);
    reply.AddMember("result", rapidjson::Value(result, a), a);
    return json_stringify(reply);
}

std::string make_error(const rapidjson::Value& id, proto::ErrorCode code, std::string_view message,
                       const rapidjson::Value* data) {
    rapidjson::Document reply(rapidjson::kObjectType);
    auto& a = reply.GetAllocator();
    reply.AddMember("jsonrpc", "2.0", a);
    reply.AddMember("id", rapidjson::Value(id, a), a);
    rapidjson::Value error(rapidjson::kObjectType);
    error.AddMember("code", static_cast<int>(code), a);
    error.AddMember("message", json_str(message, a), a);
    if (data && !data->IsNull()) error.AddMember("data", rapidjson::Value(*data, a), a);
    reply.AddMember("error", error, a);
    return json_stringify(reply);
}

std::string make_notification(std::string_view method, const rapidjson::Value& params) {
    rapidjson::Document note(rapidjson::kObjectType);
    auto& a = note.GetAllocator();
    note.AddMember("jsonrpc", "2.0", a);
    note.AddMember("method", json_str(method, a), a);
    note.AddMember("params", rapidjson::Value(params, a), a);
    return json_stringify(note);
}

std::string make_request(long long id, std::string_view method, std::string_view params_json) {
    rapidjson::Document req(rapidjson::kObjectType);
    auto& a = req.GetAllocator();
    req.AddMember("jsonrpc", "2.0", a);
    req.AddMember("id", static_cast<int64_t>(id), a);
    req.AddMember("method", json_str(method, a), a);
    if (!params_json.empty()) {
        rapidjson::Document params;
        if (!json_parse(params_json, params) || !params.IsObject()) return {};
        req.AddMember("params", rapidjson::Value(params, a), a);
    }
    return json_stringify(req);
}

const rapidjson::Value& Message::payload() const {
    const char* key = is_notification ? "params" : "result";
    auto it = doc.FindMember(key);
    return it == doc.MemberEnd() ? null_value() : it->value;
}

const rapidjson::Value& Message::error_data() const {
    auto it = doc.FindMember("error");
    if (it == doc.MemberEnd() || !it->value.IsObject()) return null_value();
    auto data = it->value.FindMember("data");
    return data == it->value.MemberEnd() ? null_value() : data->value;
}

std::optional<Message> parse_message(std::string_view line, std::string* error) {
    Message msg;
    if (!json_parse(line, msg.doc, error)) return std::nullopt;
    if (!msg.doc.IsObject() || json_get_string(msg.doc, "jsonrpc") != "2.0") {
        if (error) *error = "not a JSON-RPC 2.0 message";
        return std::nullopt;
    }
    auto method = msg.doc.FindMember("method");
    if (method != msg.doc.MemberEnd() && method->value.IsString()) {
        msg.is_notification = true;
        msg.method = method->value.GetString();
        return msg;
    }
    msg.id = json_get_int(msg.doc, "id", -1);
    auto err = msg.doc.FindMember("error");
    if (err != msg.doc.MemberEnd()) {
        if (!err->value.IsObject()) {
            if (error) *error = "error member is not an object";
            return std::nullopt;
        }
        msg.is_error = true;
        msg.error_code = static_cast<int>(json_get_int(err->value, "code", 0));
        msg.error_message = std::string(json_get_string(err->value, "message"));
        return msg;
    }
    if (!msg.doc.HasMember("result")) {
        if (error) *error = "reply has neither result nor error";
        return std::nullopt;
    }
    return msg;
}

}  // namespace litellm::rpc
