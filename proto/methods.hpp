#pragma once
// The table of control-protocol methods. One entry per JSON-RPC method: its params with types and
// defaults, its result fields and its flags. The daemon's dispatcher, `litellmctl help`, the
// shell completions, parameter checking and docs/control-protocol.md are all derived from it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace litellm::proto {

/// JSON types a param or result field can have.
enum class JsonType { kString, kInteger, kNumber, kBoolean, kObject, kArray, kAny };

/// Name of a JSON type as written in docs and error messages ("integer").
std::string_view json_type_name(JsonType type);

/// One named parameter of a method (params are always passed by name, as an object).
struct ParamSpec {
    std::string_view name;
    JsonType type = JsonType::kString;
    bool required = false;
    std::string_view default_json;  ///< JSON text of the default, empty when none
    std::string_view help;
    std::string_view choices;  ///< allowed string values separated by '|', empty = any
    std::optional<long long> min;
    std::optional<long long> max;
};

/// One field of a method's result object; dotted names ("listen.port") describe nested fields.
struct ResultField {
    std::string_view name;
    JsonType type = JsonType::kString;
    std::string_view help;
    bool optional = false;  ///< may be absent
};

/// Method flags.
enum MethodFlag : unsigned {
    kFlagNone = 0,
    kFlagMutating = 1u << 0,   ///< changes daemon state
    kFlagStreaming = 1u << 1,  ///< after the result, the connection carries notifications
};

/// The spec of one method.
struct MethodSpec {
    std::string_view name;
    std::string_view summary;      ///< one line, imperative
    std::string_view description;  ///< a paragraph for the docs, may be empty
    std::vector<ParamSpec> params;
    std::vector<ResultField> result;
    unsigned flags = kFlagNone;
    int since_protocol = 1;
    std::string_view example_params;  ///< JSON object text for docs, "" = no params
    std::string_view notification;    ///< for streaming methods: the notification's shape

    bool mutating() const { return (flags & kFlagMutating) != 0; }
    bool streaming() const { return (flags & kFlagStreaming) != 0; }
};

/// Every method the daemon serves, sorted by name.
const std::vector<MethodSpec>& method_table();

/// The spec named `name`, or nullptr.
const MethodSpec* find_method(std::string_view name);

/// Checks `params` (an object, or null for "none") against `spec`, filling in defaults, and
/// returns a message naming the first problem ("param 'n' must be an integer"), or nullopt.
/// On success `params` is an object holding every param that has a value.
std::optional<std::string> check_params(const MethodSpec& spec, rapidjson::Value& params,
                                        rapidjson::Document::AllocatorType& alloc);

/// Lists every way `result` departs from the spec's result fields (missing or mistyped);
/// empty when it conforms. Used by tests, like Bitcoin Core's rpcdoccheck.
std::vector<std::string> check_result(const MethodSpec& spec, const rapidjson::Value& result);

/// One-line usage: `logs.tail [n:integer=100] [level:string=debug]`.
std::string usage(const MethodSpec& spec);

/// The spec as a JSON object (what `rpc.describe` returns for it).
void spec_to_json(const MethodSpec& spec, rapidjson::Value& out,
                  rapidjson::Document::AllocatorType& alloc);

/// docs/control-protocol.md, generated from the tables; a test keeps the file in step.
std::string render_protocol_markdown();

}  // namespace litellm::proto
