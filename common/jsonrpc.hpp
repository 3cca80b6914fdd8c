#pragma once
// JSON-RPC 2.0 framing for the control socket: one JSON value per '\n'-terminated line.
// The server side turns a line into requests (or a ready-made error reply); both sides build
// replies, notifications and requests here so the wire shape lives in one place.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "proto/errors.hpp"

namespace litellm::rpc {

/// One request parsed from a line (an element of a batch, or the whole line).
struct Request {
    rapidjson::Document doc;  ///< owns the values below
    bool has_id = false;      ///< false = notification: run it, send no reply
    std::string method;

    /// The request id (null when absent).
    const rapidjson::Value& id() const;
    /// The params member (null when absent); handlers may fill in defaults.
    rapidjson::Value& params();
};

/// A request, or the error reply for a malformed batch element.
struct Item {
    std::optional<Request> request;
    std::string error_reply;  ///< set when `request` is empty
};

/// What a line parses into.
struct ParsedLine {
    bool is_batch = false;
    std::vector<Item> items;  ///< empty when `fatal_reply` is set
    std::string fatal_reply;  ///< a reply for the whole line (parse error, empty batch)
};

/// Parses one line (without its '\n').
ParsedLine parse_line(std::string_view line);

/// `{"jsonrpc":"2.0","id":<id>,"result":<result>}`.
std::string make_result(const rapidjson::Value& id, const rapidjson::Value& result);

/// `{"jsonrpc":"2.0","id":<id>,"error":{"code","message","data"?}}`.
std::string make_error(const rapidjson::Value& id, proto::ErrorCode code, std::string_view message,
                       const rapidjson::Value* data = nullptr);

/// `{"jsonrpc":"2.0","method":<method>,"params":<params>}`.
std::string make_notification(std::string_view method, const rapidjson::Value& params);

/// `{"jsonrpc":"2.0","id":<id>,"method":<method>,"params":<params_json>}`; params_json may be
/// empty for "no params". Returns empty when params_json is not a JSON object.
std::string make_request(long long id, std::string_view method, std::string_view params_json);

/// A message received by a client: a reply (result or error) or a notification.
struct Message {
    rapidjson::Document doc;
    bool is_notification = false;
    bool is_error = false;
    long long id = -1;   ///< numeric id of a reply (-1 when absent or not numeric)
    std::string method;  ///< for notifications
    int error_code = 0;
    std::string error_message;

    /// `result` of a reply, `params` of a notification, or null.
    const rapidjson::Value& payload() const;
    /// `error.data` of an error reply, or null.
    const rapidjson::Value& error_data() const;
};

/// Parses a line received by a client; nullopt when it is not a JSON-RPC 2.0 message.
std::optional<Message> parse_message(std::string_view line, std::string* error = nullptr);

}  // namespace litellm::rpc
