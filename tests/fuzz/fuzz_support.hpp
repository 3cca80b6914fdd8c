#pragma once
// What the fuzz targets share: the input cut into pieces the way a network delivers them (the
// first byte picks the piece size), so incremental parsers meet every split.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace litellm::fuzz {

/// `data` without its first byte, in pieces of 1..64 bytes decided by that byte.
inline std::vector<std::string_view> pieces(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string_view> out;
    if (size == 0) return out;
    std::size_t step = 1 + data[0] % 64;
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    for (std::size_t at = 0; at < rest.size(); at += step)
        out.push_back(rest.substr(at, step));
    return out;
}

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace litellm::fuzz
