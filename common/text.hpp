#pragma once
// Small string helpers shared by the CLI and the daemon: "did you mean" suggestions.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace litellm {

/// Levenshtein distance between `a` and `b` (insert, delete, substitute all cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate nearest to `word` when it is near enough to be a typo of it (distance at most
/// max(2, |word|/3)), else empty. Ties go to the first candidate.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

/// True when `name` matches `pattern`, where each `*` stands for any run of characters (the
/// wildcard model names of LiteLLM's config: "anthropic/*", "*").
bool wildcard_match(std::string_view pattern, std::string_view name);

}  // namespace litellm
