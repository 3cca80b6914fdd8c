#include "common/home_init.hpp"

#include "common/defaults.hpp"
#include "common/fs.hpp"

namespace litellm {

const char* default_config_text() {
    return defaults::kConfigYaml;
}

const char* default_env_example_text() {
    return defaults::kEnvExample;
}

HomeInitResult init_home(const HomePaths& paths, bool force, const std::string& config_path) {
    HomeInitResult r;
    if (!ensure_directory(paths.home, 0700, &r.error)) {
        r.ok = false;
        return r;
    }
    struct File {
        std::string path;
        const char* text;
        unsigned mode;
    };
    // The config is 0600: users paste keys into it despite its header.
    const File files[] = {
        {config_path.empty() ? paths.config : config_path, defaults::kConfigYaml, 0600},
        {paths.env_example, defaults::kEnvExample, 0644}};
    for (const File& f : files) {
        if (!force && path_exists(f.path)) {
            r.kept.push_back(f.path);
            continue;
        }
        std::string error;
        if (!write_file_atomic(f.path, f.text, f.mode, &error)) {
            r.ok = false;
            r.error = "cannot write " + f.path + ": " + error;
            return r;
        }
        r.written.push_back(f.path);
    }
    return r;
}

}  // namespace litellm
