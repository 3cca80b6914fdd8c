#pragma once
// File helpers: atomic writes (temp, fsync, rename) so a crash never leaves a half-written
// settings or token file, and small read helpers.

#include <sys/types.h>
#include <optional>
#include <string>

namespace litellm {

/// Reads a whole file; nullopt (with `error` set) when it cannot be read.
std::optional<std::string> read_file(const std::string& path, std::string* error = nullptr);

/// Writes `content` to `path` atomically with `mode`: a temp file in the same directory,
/// fsync, rename over the target, fsync of the directory. Returns false with `error` set.
bool write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                       std::string* error = nullptr);

/// Creates `path` and missing parents with `mode`; true when it exists as a directory after.
bool ensure_directory(const std::string& path, mode_t mode, std::string* error = nullptr);

/// True when `path` exists (any type).
bool path_exists(const std::string& path);

}  // namespace litellm
