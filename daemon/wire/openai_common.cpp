#include "daemon/wire/openai_common.hpp"

namespace litellm::wire::openai_common {

bool is_billing_header(const Block& b) {
    return b.type == BlockType::kText && b.text.starts_with("x-anthropic-billing-header:");
}

void write_data_url(JsonWriter& w, const Block& b) {
    if (b.source_is_url) {
        w.text(b.data);
        return;
    }
    w.begin_string();
    w.append(std::string_view("data:"));
    w.append(std::string_view(b.media_type));
    w.append(std::string_view(";base64,"));
    w.append(b.data);
    w.end_string();
}

bool split_data_url(std::string_view url, std::string& media_type, std::string& data) {
    if (url.rfind("data:", 0) != 0) return false;
    size_t comma = url.find(',');
    if (comma == std::string_view::npos) return false;
    std::string_view meta = url.substr(5, comma - 5);
    size_t semi = meta.find(';');
    media_type = std::string(meta.substr(0, semi));
    data = std::string(url.substr(comma + 1));
    return true;
}

std::string_view function_schema(std::string_view schema, std::string& scratch) {
    if (schema.empty()) return R"({"type":"object","properties":{}})";
    if (schema.find("\"properties\"") != std::string_view::npos) return schema;
    if (schema.find("\"object\"") == std::string_view::npos || schema.back() != '}') return schema;
    // The schema is the client's text, spacing and all: `{ }` is empty too.
    std::string_view inside = trim_json_right(schema.substr(0, schema.size() - 1));
    bool empty = !inside.empty() && inside.back() == '{';
    scratch.assign(schema);
    scratch.insert(scratch.size() - 1, empty ? R"("properties":{})" : R"(,"properties":{})");
    return scratch;
}

}  // namespace litellm::wire::openai_common
