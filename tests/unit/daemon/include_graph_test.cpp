// The daemon's layering, checked on the sources: no upward edges. http/ serves bytes and
// knows no proxy, format or provider; the data plane (proxy, wire, api, providers, router)
// never reaches the composition root (daemon.hpp); the proxy reaches wire formats only
// through the codec table.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

// `dir`'s files (under the source tree) that include any of `forbidden`, as "file: include".
std::vector<std::string> offending_includes(const std::string& dir,
                                            const std::vector<std::string>& forbidden) {
    std::vector<std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(LITELLM_SOURCE_DIR) / dir)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path());
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("#include", 0) != 0) continue;
            for (const auto& f : forbidden) {
                if (line.find(f) != std::string::npos) {
                    out.push_back(entry.path().filename().string() + ": " + line);
                }
            }
        }
    }
    return out;
}

std::string joined(const std::vector<std::string>& v) {
    std::ostringstream os;
    for (const auto& s : v)
        os << s << "\n";
    return os.str();
}

TEST(IncludeGraph, HttpKnowsNothingAboveIt) {
    auto bad =
        offending_includes("daemon/http", {"daemon/proxy/", "daemon/api/", "daemon/providers/",
                                           "daemon/wire/", "daemon/router/", "daemon/daemon.hpp"});
    EXPECT_TRUE(bad.empty()) << joined(bad);
}

TEST(IncludeGraph, TheDataPlaneNeverReachesTheDaemon) {
    for (const char* dir :
         {"daemon/proxy", "daemon/wire", "daemon/api", "daemon/providers", "daemon/router"}) {
        auto bad = offending_includes(dir, {"daemon/daemon.hpp", "daemon/control/"});
        EXPECT_TRUE(bad.empty()) << dir << ":\n" << joined(bad);
    }
}

TEST(IncludeGraph, TheProxyReachesFormatsOnlyThroughTheCodecTable) {
    auto bad = offending_includes("daemon/proxy", {"daemon/wire/anthropic", "daemon/wire/openai"});
    EXPECT_TRUE(bad.empty()) << joined(bad);
}

TEST(IncludeGraph, TheCliLinksNoDaemonCode) {
    auto bad = offending_includes("ctl", {"daemon/"});
    EXPECT_TRUE(bad.empty()) << joined(bad);
    bad = offending_includes("common", {"daemon/"});
    EXPECT_TRUE(bad.empty()) << joined(bad);
}

}  // namespace
