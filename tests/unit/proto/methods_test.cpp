#include "proto/methods.hpp"

#include <set>

#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "proto/errors.hpp"

namespace litellm::proto {
namespace {

rapidjson::Document params_of(const char* text) {
    rapidjson::Document d;
    EXPECT_TRUE(json_parse(text, d)) << text;
    return d;
}

TEST(MethodTable, NamesAreUniqueSortedAndDocumented) {
    std::set<std::string_view> names;
    std::string_view prev;
    for (const auto& spec : method_table()) {
        EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
        EXPECT_LT(prev, spec.name);
        prev = spec.name;
        EXPECT_FALSE(spec.summary.empty()) << spec.name;
        EXPECT_FALSE(spec.result.empty()) << spec.name;
        for (const auto& p : spec.params) {
            EXPECT_FALSE(p.help.empty()) << spec.name << "." << p.name;
            if (!p.default_json.empty()) {
                rapidjson::Document d;
                EXPECT_TRUE(json_parse(p.default_json, d)) << spec.name << "." << p.name;
            }
        }
    }
    for (const char* required : {"rpc.hello", "rpc.describe", "status", "reload", "shutdown",
                                 "logs.tail", "logs.follow"}) {
        EXPECT_NE(find_method(required), nullptr) << required;
    }
    EXPECT_EQ(find_method("nope"), nullptr);
    EXPECT_TRUE(find_method("logs.follow")->streaming());
    EXPECT_TRUE(find_method("reload")->mutating());
    EXPECT_FALSE(find_method("status")->mutating());
}

TEST(CheckParams, FillsDefaults) {
    const auto& spec = *find_method("logs.tail");
    rapidjson::Document p;  // null = no params
    EXPECT_EQ(check_params(spec, p, p.GetAllocator()), std::nullopt);
    ASSERT_TRUE(p.IsObject());
    EXPECT_EQ(p["n"].GetInt(), 100);
    EXPECT_STREQ(p["level"].GetString(), "debug");
}

TEST(CheckParams, RejectsWrongTypesUnknownNamesRangesAndChoices) {
    const auto& spec = *find_method("logs.tail");
    struct Case {
        const char* params;
        const char* expect_in_message;
    } cases[] = {
        {R"({"n":"ten"})", "param 'n' must be an integer"},
        {R"({"n":1.5})", "must be an integer"},
        {R"({"n":-1})", "between 0 and 100000"},
        {R"({"level":"loud"})", "one of debug|info|warn|error"},
        {R"({"bogus":1})", "unknown param 'bogus'"},
        {R"([1,2])", "params must be an object"},
    };
    for (const auto& c : cases) {
        auto p = params_of(c.params);
        auto problem = check_params(spec, p, p.GetAllocator());
        ASSERT_TRUE(problem) << c.params;
        EXPECT_NE(problem->find(c.expect_in_message), std::string::npos) << *problem;
        bool range_or_choice = std::string_view(c.expect_in_message).find("between") == 0 ||
                               std::string_view(c.expect_in_message).find("one of") == 0;
        if (!range_or_choice) {
            EXPECT_NE(problem->find("usage: logs.tail"), std::string::npos) << *problem;
        }
    }
}

TEST(CheckParams, ExplicitNullMeansDefault) {
    const auto& spec = *find_method("logs.follow");
    auto p = params_of(R"({"level":null})");
    EXPECT_EQ(check_params(spec, p, p.GetAllocator()), std::nullopt);
    EXPECT_STREQ(p["level"].GetString(), "info");
}

TEST(CheckResult, FindsMissingAndMistypedFields) {
    const auto& spec = *find_method("rpc.hello");
    auto good = params_of(
        R"({"daemon_version":"0.1.0","protocol":1,"min_protocol":1,"pid":5,"capabilities":[]})");
    EXPECT_TRUE(check_result(spec, good).empty());
    auto bad = params_of(R"({"daemon_version":1,"protocol":1,"pid":5,"capabilities":[]})");
    auto problems = check_result(spec, bad);
    ASSERT_EQ(problems.size(), 2u);
    EXPECT_NE(problems[0].find("daemon_version"), std::string::npos);
    EXPECT_NE(problems[1].find("min_protocol"), std::string::npos);
}

TEST(CheckResult, DottedFieldsWalkIntoObjects) {
    const auto& spec = *find_method("status");
    auto partial = params_of(R"({"listen":{"host":"127.0.0.1","port":"4000"}})");
    auto problems = check_result(spec, partial);
    bool port_mistyped = false, url_missing = false;
    for (const auto& p : problems) {
        port_mistyped |= p.find("'listen.port' is not integer") != std::string::npos;
        url_missing |= p.find("lacks 'listen.url'") != std::string::npos;
    }
    EXPECT_TRUE(port_mistyped);
    EXPECT_TRUE(url_missing);
}

TEST(Usage, ShowsOptionalParamsWithDefaults) {
    EXPECT_EQ(usage(*find_method("logs.tail")),
              "logs.tail [n:integer=100] [level:string=\"debug\"]");
    EXPECT_EQ(usage(*find_method("status")), "status");
}

TEST(SpecJson, CarriesParamsAndFlags) {
    rapidjson::Document d(rapidjson::kObjectType);
    spec_to_json(*find_method("logs.follow"), d, d.GetAllocator());
    EXPECT_STREQ(d["name"].GetString(), "logs.follow");
    ASSERT_EQ(d["flags"].Size(), 1u);
    EXPECT_STREQ(d["flags"][0].GetString(), "streaming");
    EXPECT_STREQ(d["params"][0]["name"].GetString(), "level");
    EXPECT_STREQ(d["params"][0]["default"].GetString(), "info");
}

TEST(ErrorTable, CodesAreUniqueAndNamed) {
    std::set<int> codes;
    for (const auto& e : error_table()) {
        EXPECT_TRUE(codes.insert(static_cast<int>(e.code)).second);
        EXPECT_EQ(error_code_name(e.code), e.name);
    }
    EXPECT_EQ(exit_code_for(ErrorCode::kInvalidParams), ExitCode::kUsage);
    EXPECT_EQ(exit_code_for(ErrorCode::kFailedPrecondition), ExitCode::kConfigInvalid);
}

// docs/control-protocol.md is generated; regenerate with scripts/gen-rpc-docs.
TEST(ProtocolDocs, CheckedInFileMatchesTheTable) {
    std::string path = std::string(LITELLM_SOURCE_DIR) + "/docs/control-protocol.md";
    auto text = read_file(path);
    ASSERT_TRUE(text) << path << " is missing; run scripts/gen-rpc-docs";
    EXPECT_TRUE(*text == render_protocol_markdown())
        << path << " is stale; run scripts/gen-rpc-docs and commit the result";
}

}  // namespace
}  // namespace litellm::proto
