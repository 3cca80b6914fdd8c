#include "ctl/completions.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <CLI/CLI.hpp>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "ctl/commands.hpp"
#include "proto/errors.hpp"

namespace litellm::ctl {

namespace {

// ---- the model the three generators share ----------------------------------------------------

/// One named option as the shells need it.
struct OptionSpec {
    std::vector<std::string> names;  ///< "-f", "--follow", in CLI11's order (short first)
    std::string description;
    bool takes_value = false;
    std::vector<std::string> choices;  ///< fixed values (CLI::IsMember); empty = free
    bool files = false;                ///< free text value: complete file names
};

/// One command (the root or a subcommand at any depth), flattened in pre-order.
struct CommandSpec {
    std::string path;  ///< "" for the root, "auth refresh" for nested ones
    std::string description;
    std::vector<OptionSpec> options;  ///< its own, then the inherited globals
    std::vector<std::vector<std::string>> positional_choices;  ///< per positional index
    bool greedy_tail = false;  ///< the last positional takes every further word
    std::vector<std::string> tail_choices;
    std::vector<std::string> children;  ///< names of the direct subcommands
};

/// Words the generated scripts can embed unquoted in word lists and case patterns; anything
/// else (spaces, quotes, globs) would be split or expanded by the shells, so it is left out.
bool safe_word(const std::string& w) {
    if (w.empty()) return false;
    for (char c : w) {
        bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '+' ||
                  c == '@' || c == '%' || c == '/' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/// Collapses runs of whitespace (descriptions may span lines) into single spaces.
std::string one_line(const std::string& text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

/// The fixed value set of an option, from its help type name.
// CLI11 2.1.2 hands out validators only through the non-const Option::get_validator(), and the
// definition is const; the const view is get_type_name(), where IsMember appends its set as
// ":{a,b,c}" (e.g. "TEXT:{debug,info,warn,error}"). Transformer maps ("{a->1}") are skipped, and a
// set element containing ',' cannot be told apart from two elements, so such sets are dropped.
std::vector<std::string> choices_of(const CLI::Option& option) {
    const std::string type = option.get_type_name();
    std::size_t pos = 0;
    while ((pos = type.find(":{", pos)) != std::string::npos) {
        std::size_t end = type.find('}', pos);
        while (end != std::string::npos && end + 1 < type.size() && type[end + 1] != ':')
            end = type.find('}', end + 1);
        if (end == std::string::npos) break;
        std::string inner = type.substr(pos + 2, end - pos - 2);
        pos = end;
        if (inner.empty() || inner.find("->") != std::string::npos) continue;
        std::vector<std::string> out;
        std::size_t start = 0;
        while (true) {
            std::size_t comma = inner.find(',', start);
            std::string item = inner.substr(start, comma - start);
            if (!safe_word(item)) return {};
            out.push_back(item);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        return out;
    }
    return {};
}

/// True when a value-taking option without choices most likely names a file or directory.
// Numbers get no completion at all; text values (config files, homes, sockets) get file names,
// which is what a user would type there far more often than anything else.
bool wants_files(const CLI::Option& option) {
    std::string type = option.get_type_name();
    std::string base = type.substr(0, type.find(':'));
    if (type.find("FILE") != std::string::npos || type.find("DIR") != std::string::npos ||
        type.find("PATH") != std::string::npos)
        return true;
    return base == "TEXT";
}

OptionSpec option_spec(const CLI::Option& option) {
    OptionSpec spec;
    for (const auto& s : option.get_snames()) {
        if (safe_word("-" + s)) spec.names.push_back("-" + s);
    }
    for (const auto& l : option.get_lnames()) {
        if (safe_word("--" + l)) spec.names.push_back("--" + l);
    }
    spec.description = one_line(option.get_description());
    spec.takes_value = option.get_items_expected_max() > 0;
    if (spec.takes_value) {
        spec.choices = choices_of(option);
        spec.files = spec.choices.empty() && wants_files(option);
    }
    return spec;
}

/// Builds the flat command list from the CLI11 tree.
class ModelBuilder {
  public:
    std::vector<CommandSpec> build(const CLI::App& root) {
        m_commands.clear();
        add(root, "", {});
        return std::move(m_commands);
    }

  private:
    /// Options of `app` and of its nameless option groups, in definition order.
    static void collect_options(const CLI::App& app, std::vector<const CLI::Option*>& out) {
        for (const CLI::Option* o : app.get_options()) {
            out.push_back(o);
        }
        for (const CLI::App* sub : app.get_subcommands({})) {
            if (sub->get_name().empty()) collect_options(*sub, out);
        }
    }

    void add(const CLI::App& app, const std::string& path,
             const std::vector<OptionSpec>& inherited) {
        std::size_t index = m_commands.size();
        m_commands.emplace_back();
        {
            CommandSpec& cmd = m_commands.back();
            cmd.path = path;
            cmd.description = one_line(app.get_description());
        }

        std::vector<const CLI::Option*> options;
        collect_options(app, options);
        std::vector<OptionSpec> own;
        std::vector<std::vector<std::string>> positional;
        bool greedy = false;
        std::vector<std::string> tail;
        std::vector<OptionSpec> globals;  // what this command's subcommands inherit
        for (const CLI::Option* o : options) {
            if (o->get_group().empty()) continue;  // hidden
            if (o->nonpositional()) {
                OptionSpec spec = option_spec(*o);
                if (spec.names.empty()) continue;
                // Value-taking options of a command are settings its subcommands also accept
                // (CLI11 fallthrough: `litellmctl status --home X`); its flags (--help,
                // --version, --completions) are actions of that level only.
                if (spec.takes_value) globals.push_back(spec);
                own.push_back(std::move(spec));
            } else if (o->get_positional() && !greedy) {
                std::vector<std::string> choices = choices_of(*o);
                // A vector positional reports a huge item count and takes every further word;
                // a fixed small count (a pair, say) is one entry per position.
                int items = o->get_items_expected_max();
                if (items > 8) {
                    greedy = true;
                    tail = choices;
                } else {
                    for (int i = 0; i < items; ++i)
                        positional.push_back(choices);
                }
            }
        }

        // Inherited globals, unless the command defines an option of the same name itself.
        auto shadowed = [&own](const OptionSpec& g) {
            return std::any_of(own.begin(), own.end(), [&g](const OptionSpec& o) {
                return std::find_first_of(o.names.begin(), o.names.end(), g.names.begin(),
                                          g.names.end()) != o.names.end();
            });
        };
        std::vector<OptionSpec> merged = own;
        std::vector<OptionSpec> pass_down = globals;
        for (const auto& g : inherited) {
            if (shadowed(g)) continue;
            merged.push_back(g);
            pass_down.push_back(g);
        }

        std::vector<const CLI::App*> subs;
        for (const CLI::App* sub : app.get_subcommands({})) {
            // Nameless subcommands are option groups (merged above); an empty group hides.
            if (sub->get_name().empty() || sub->get_group().empty() || sub->get_disabled())
                continue;
            if (!safe_word(sub->get_name())) continue;
            subs.push_back(sub);
        }
        {
            CommandSpec& cmd = m_commands[index];
            cmd.options = std::move(merged);
            cmd.positional_choices = std::move(positional);
            cmd.greedy_tail = greedy;
            cmd.tail_choices = std::move(tail);
            for (const CLI::App* sub : subs)
                cmd.children.push_back(sub->get_name());
        }

        for (const CLI::App* sub : subs) {
            std::string child = path.empty() ? sub->get_name() : path + " " + sub->get_name();
            add(*sub, child, sub->get_fallthrough() ? pass_down : std::vector<OptionSpec>{});
        }
    }

    std::vector<CommandSpec> m_commands;
};

std::string join(const std::vector<std::string>& words, const char* sep = " ") {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out += sep;
        out += w;
    }
    return out;
}

/// POSIX single quoting (bash and zsh).
std::string sh_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out.push_back(c);
    }
    return out + "'";
}

/// fish single quoting: only \ and ' are special inside.
std::string fish_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\\' || c == '\'') out.push_back('\\');
        out.push_back(c);
    }
    return out + "'";
}

const CommandSpec* find_command(const std::vector<CommandSpec>& commands, const std::string& path) {
    for (const auto& c : commands) {
        if (c.path == path) return &c;
    }
    return nullptr;
}

std::vector<std::string> option_names(const CommandSpec& cmd, bool values_only) {
    std::vector<std::string> out;
    for (const auto& o : cmd.options) {
        if (values_only && !o.takes_value) continue;
        out.insert(out.end(), o.names.begin(), o.names.end());
    }
    return out;
}

/// The value words of an option: its choices, "@files", or empty.
std::vector<std::string> value_words(const OptionSpec& o) {
    if (!o.choices.empty()) return o.choices;
    if (o.files) return {"@files"};
    return {};
}

// ---- bash ------------------------------------------------------------------------------------

// Written for bash 3.2 too (macOS): no associative arrays, compopt only when it exists.
std::string bash_script(const std::vector<CommandSpec>& commands) {
    std::string s;
    s += "# bash completion for litellmctl (generated by `litellmctl completions bash`; do not "
         "edit).\n"
         "# Load it with: eval \"$(litellmctl completions bash)\"\n\n";

    s += "# True when $1 is one of the remaining arguments.\n"
         "_litellmctl_in() {\n"
         "    local needle=\"$1\" w\n"
         "    shift\n"
         "    for w in \"$@\"; do\n"
         "        [[ $w == \"$needle\" ]] && return 0\n"
         "    done\n"
         "    return 1\n"
         "}\n\n";

    s += "# The subcommands under the command path $1.\n"
         "_litellmctl_subcommands() {\n"
         "    case \"$1\" in\n";
    for (const auto& c : commands) {
        if (c.children.empty()) continue;
        s += fmt::format("        {}) echo {} ;;\n", sh_quote(c.path), sh_quote(join(c.children)));
    }
    s += "    esac\n}\n\n";

    s += "# The options valid under the command path $1 (its own and the global ones).\n"
         "_litellmctl_options() {\n"
         "    case \"$1\" in\n";
    for (const auto& c : commands) {
        auto names = option_names(c, false);
        if (names.empty()) continue;
        s += fmt::format("        {}) echo {} ;;\n", sh_quote(c.path), sh_quote(join(names)));
    }
    s += "    esac\n}\n\n";

    s += "# The options under the command path $1 that take a value.\n"
         "_litellmctl_value_options() {\n"
         "    case \"$1\" in\n";
    for (const auto& c : commands) {
        auto names = option_names(c, true);
        if (names.empty()) continue;
        s += fmt::format("        {}) echo {} ;;\n", sh_quote(c.path), sh_quote(join(names)));
    }
    s += "    esac\n}\n\n";

    s += "# The values of option $2 under the command path $1; @files means file names.\n"
         "_litellmctl_option_values() {\n"
         "    case \"$1|$2\" in\n";
    for (const auto& c : commands) {
        for (const auto& o : c.options) {
            auto words = value_words(o);
            if (!o.takes_value || words.empty()) continue;
            std::vector<std::string> patterns;
            for (const auto& n : o.names)
                patterns.push_back(sh_quote(c.path + "|" + n));
            s += fmt::format("        {}) echo {} ;;\n", join(patterns, " | "),
                             sh_quote(join(words)));
        }
    }
    s += "    esac\n}\n\n";

    s += "# The fixed values of positional number $2 (from 0) under the command path $1.\n"
         "_litellmctl_positional_values() {\n"
         "    case \"$1|$2\" in\n";
    for (const auto& c : commands) {
        for (std::size_t i = 0; i < c.positional_choices.size(); ++i) {
            if (c.positional_choices[i].empty()) continue;
            s += fmt::format("        {}) echo {} ;;\n", sh_quote(fmt::format("{}|{}", c.path, i)),
                             sh_quote(join(c.positional_choices[i])));
        }
        if (c.greedy_tail && !c.tail_choices.empty()) {
            s += fmt::format("        {}*) echo {} ;;\n", sh_quote(c.path + "|"),
                             sh_quote(join(c.tail_choices)));
        }
    }
    s += "    esac\n}\n\n";

    // The walk finds the command path typed so far, skipping options and their values (also in
    // the `--opt = value` form bash produces because '=' is in COMP_WORDBREAKS), and counts the
    // positionals of the innermost command.
    s += R"SH(_litellmctl() {
    local cur="${COMP_WORDS[COMP_CWORD]}" cmd="" opt="" prefix="" word words i npos=0
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${COMP_WORDS[i]}"
        case "$word" in
            --) ;;
            -*=*) ;;
            -*)
                if [[ ${COMP_WORDS[i + 1]} == "=" ]]; then
                    if ((i + 2 >= COMP_CWORD)); then opt="$word"; fi
                    i=$((i + 2))
                elif _litellmctl_in "$word" $(_litellmctl_value_options "$cmd"); then
                    if ((i + 1 >= COMP_CWORD)); then opt="$word"; fi
                    i=$((i + 1))
                fi
                ;;
            *)
                if _litellmctl_in "$word" $(_litellmctl_subcommands "$cmd"); then
                    cmd="${cmd:+$cmd }$word"
                    npos=0
                else
                    npos=$((npos + 1))
                fi
                ;;
        esac
    done
    if [[ $cur == "=" ]]; then cur=""; fi
    if [[ -z $opt && $cur == -*=* ]]; then
        opt="${cur%%=*}"
        prefix="$opt="
        cur="${cur#*=}"
    fi
    if [[ -n $opt ]]; then
        words="$(_litellmctl_option_values "$cmd" "$opt")"
        if [[ $words == "@files" ]]; then
            compopt -o filenames 2>/dev/null
            local IFS=$'\n'
            COMPREPLY=($(compgen -f -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$words" -- "$cur"))
        fi
        if [[ -n $prefix ]]; then COMPREPLY=("${COMPREPLY[@]/#/$prefix}"); fi
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_litellmctl_options "$cmd")" -- "$cur"))
        return 0
    fi
    words="$(_litellmctl_subcommands "$cmd") $(_litellmctl_positional_values "$cmd" "$npos")"
    # Nothing to choose from here: offer the command's options instead of nothing.
    if [[ -z ${words// /} ]]; then words="$(_litellmctl_options "$cmd")"; fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
    return 0
}

complete -F _litellmctl litellmctl
)SH";
    return s;
}

// ---- zsh -------------------------------------------------------------------------------------

/// "name:description" for _describe (colons in the name must be escaped).
std::string zsh_item(const std::string& name, const std::string& description) {
    std::string escaped;
    for (char c : name) {
        if (c == ':') escaped.push_back('\\');
        escaped.push_back(c);
    }
    return sh_quote(description.empty() ? escaped : escaped + ":" + description);
}

// Native zsh (no bashcompinit): the same walk as bash over words/CURRENT, with descriptions
// through _describe. The variable holding the command path is `cmd`, never `path`, which zsh
// ties to $PATH.
std::string zsh_script(const std::vector<CommandSpec>& commands) {
    std::string s;
    s += "#compdef litellmctl\n"
         "# zsh completion for litellmctl (generated by `litellmctl completions zsh`; do not "
         "edit).\n"
         "# Load it with: eval \"$(litellmctl completions zsh)\"\n\n";

    s += "# reply: name:description of the subcommands under the command path $1.\n"
         "_litellmctl_subcommands() {\n"
         "    case $1 in\n";
    for (const auto& c : commands) {
        if (c.children.empty()) continue;
        std::vector<std::string> items;
        for (const auto& child : c.children) {
            std::string child_path = c.path.empty() ? child : c.path + " " + child;
            const CommandSpec* sub = find_command(commands, child_path);
            items.push_back(zsh_item(child, sub ? sub->description : ""));
        }
        s += fmt::format("        ({}) reply=(\n            {}\n        ) ;;\n", sh_quote(c.path),
                         join(items, "\n            "));
    }
    s += "        (*) reply=() ;;\n    esac\n}\n\n";

    s += "# reply: name:description of the options valid under the command path $1.\n"
         "_litellmctl_options() {\n"
         "    case $1 in\n";
    for (const auto& c : commands) {
        std::vector<std::string> items;
        for (const auto& o : c.options) {
            for (const auto& n : o.names)
                items.push_back(zsh_item(n, o.description));
        }
        if (items.empty()) continue;
        s += fmt::format("        ({}) reply=(\n            {}\n        ) ;;\n", sh_quote(c.path),
                         join(items, "\n            "));
    }
    s += "        (*) reply=() ;;\n    esac\n}\n\n";

    s += "# reply: the options under the command path $1 that take a value.\n"
         "_litellmctl_value_options() {\n"
         "    case $1 in\n";
    for (const auto& c : commands) {
        auto names = option_names(c, true);
        if (names.empty()) continue;
        s += fmt::format("        ({}) reply=({}) ;;\n", sh_quote(c.path), join(names));
    }
    s += "        (*) reply=() ;;\n    esac\n}\n\n";

    s += "# reply: the values of option $2 under the command path $1; (@files) means file names.\n"
         "_litellmctl_option_values() {\n"
         "    case \"$1|$2\" in\n";
    for (const auto& c : commands) {
        for (const auto& o : c.options) {
            auto words = value_words(o);
            if (!o.takes_value || words.empty()) continue;
            std::vector<std::string> patterns;
            for (const auto& n : o.names)
                patterns.push_back(sh_quote(c.path + "|" + n));
            s += fmt::format("        ({}) reply=({}) ;;\n", join(patterns, "|"), join(words));
        }
    }
    s += "        (*) reply=() ;;\n    esac\n}\n\n";

    s += "# reply: the fixed values of positional number $2 (from 0) under the command path $1.\n"
         "_litellmctl_positional_values() {\n"
         "    case \"$1|$2\" in\n";
    for (const auto& c : commands) {
        for (std::size_t i = 0; i < c.positional_choices.size(); ++i) {
            if (c.positional_choices[i].empty()) continue;
            s += fmt::format("        ({}) reply=({}) ;;\n",
                             sh_quote(fmt::format("{}|{}", c.path, i)),
                             join(c.positional_choices[i]));
        }
        if (c.greedy_tail && !c.tail_choices.empty()) {
            s += fmt::format("        ({}*) reply=({}) ;;\n", sh_quote(c.path + "|"),
                             join(c.tail_choices));
        }
    }
    s += "        (*) reply=() ;;\n    esac\n}\n\n";

    s += R"SH(_litellmctl() {
    local cmd='' word opt='' cur=${words[CURRENT]}
    local -i i=2 npos=0
    local -a reply names subs opts vals
    while (( i < CURRENT )); do
        word=${words[i]}
        if [[ $word == -- || $word == -*=* ]]; then
            :
        elif [[ $word == -* ]]; then
            _litellmctl_value_options "$cmd"
            if (( ${reply[(Ie)$word]} )); then
                (( i + 1 >= CURRENT )) && opt=$word
                (( i += 1 ))
            fi
        else
            _litellmctl_subcommands "$cmd"
            names=(${reply%%:*})
            if (( ${names[(Ie)$word]} )); then
                cmd=${cmd:+$cmd }$word
                npos=0
            else
                (( npos += 1 ))
            fi
        fi
        (( i += 1 ))
    done
    if [[ -z $opt && $cur == -*=* ]]; then
        opt=${cur%%=*}
        compset -P '*='
    fi
    if [[ -n $opt ]]; then
        _litellmctl_option_values "$cmd" "$opt"
        vals=("${reply[@]}")
        if [[ ${vals[1]} == '@files' ]]; then
            _files
        elif (( $#vals )); then
            compadd -a vals
        else
            _message 'value'
        fi
        return
    fi
    _litellmctl_options "$cmd"
    opts=("${reply[@]}")
    if [[ $cur == -* ]]; then
        _describe -t options 'option' opts
        return
    fi
    _litellmctl_subcommands "$cmd"
    subs=("${reply[@]}")
    _litellmctl_positional_values "$cmd" "$npos"
    vals=("${reply[@]}")
    if (( $#subs + $#vals == 0 )); then
        _describe -t options 'option' opts
        return
    fi
    local ret=1
    (( $#subs )) && _describe -t commands 'litellmctl command' subs && ret=0
    (( $#vals )) && compadd -a vals && ret=0
    return ret
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    # Autoloaded from a file named _litellmctl in $fpath.
    _litellmctl "$@"
else
    # Evaluated from .zshrc: compdef exists only after compinit.
    if (( ! $+functions[compdef] )); then
        autoload -Uz compinit && compinit -i
    fi
    compdef _litellmctl litellmctl
fi
)SH";
    return s;
}

// ---- fish ------------------------------------------------------------------------------------

// fish's own __fish_use_subcommand / __fish_seen_subcommand_from cannot tell `status` from
// `auth status` nor skip the value of `--home DIR`, so the script walks the command line itself
// (__litellmctl_state) and every line is conditioned on the exact command path.
std::string fish_script(const std::vector<CommandSpec>& commands) {
    std::string s;
    s += "# fish completion for litellmctl (generated by `litellmctl completions fish`; do not "
         "edit).\n\n"
         "complete -c litellmctl -e\n"
         "complete -c litellmctl -f\n\n";

    s += "function __litellmctl_subcommands --description 'Subcommands under a litellmctl command "
         "path'\n"
         "    switch \"$argv[1]\"\n";
    for (const auto& c : commands) {
        if (c.children.empty()) continue;
        s += fmt::format("        case {}\n            printf '%s\\n' {}\n", fish_quote(c.path),
                         join(c.children));
    }
    s += "    end\nend\n\n";

    s += "function __litellmctl_value_options --description 'Options taking a value under a "
         "litellmctl command path'\n"
         "    switch \"$argv[1]\"\n";
    for (const auto& c : commands) {
        auto names = option_names(c, true);
        if (names.empty()) continue;
        s += fmt::format("        case {}\n            printf '%s\\n' {}\n", fish_quote(c.path),
                         join(names));
    }
    s += "    end\nend\n\n";

    s +=
        R"SH(function __litellmctl_state --description 'The litellmctl command path typed so far and its positional count, as PATH|N'
    set -l tokens (commandline -opc)
    set -l cmd ''
    set -l npos 0
    set -l i 2
    while test $i -le (count $tokens)
        set -l w $tokens[$i]
        set i (math $i + 1)
        if test "$w" = '--'; or string match -q -- '-*=*' $w
            continue
        else if string match -q -- '-*' $w
            if contains -- $w (__litellmctl_value_options "$cmd")
                set i (math $i + 1)
            end
            continue
        end
        if contains -- $w (__litellmctl_subcommands "$cmd")
            if test -z "$cmd"
                set cmd $w
            else
                set cmd "$cmd $w"
            end
            set npos 0
        else
            set npos (math $npos + 1)
        end
    end
    printf '%s|%s\n' "$cmd" $npos
end

function __litellmctl_at --description 'True at the litellmctl command path $argv[1] (and positional number $argv[2])'
    set -l state (__litellmctl_state)
    if set -q argv[2]
        test "$state" = "$argv[1]|$argv[2]"
    else
        string match -q -- "$argv[1]|*" "$state"
    end
end

)SH";

    for (const auto& c : commands) {
        std::string at = fish_quote("__litellmctl_at " + fish_quote(c.path));
        s += fmt::format("# {}\n", c.path.empty() ? "litellmctl" : "litellmctl " + c.path);
        for (const auto& child : c.children) {
            std::string child_path = c.path.empty() ? child : c.path + " " + child;
            const CommandSpec* sub = find_command(commands, child_path);
            s += fmt::format("complete -c litellmctl -n {} -a {}", at, child);
            if (sub && !sub->description.empty()) s += " -d " + fish_quote(sub->description);
            s += "\n";
        }
        for (const auto& o : c.options) {
            s += fmt::format("complete -c litellmctl -n {}", at);
            for (const auto& n : o.names) {
                if (n.rfind("--", 0) == 0)
                    s += " -l " + n.substr(2);
                else
                    s += " -s " + n.substr(1);
            }
            if (o.takes_value) {
                if (!o.choices.empty())
                    s += " -x -a " + fish_quote(join(o.choices));
                else if (o.files)
                    s += " -r -F";
                else
                    s += " -x";
            }
            if (!o.description.empty()) s += " -d " + fish_quote(o.description);
            s += "\n";
        }
        for (std::size_t i = 0; i < c.positional_choices.size(); ++i) {
            if (c.positional_choices[i].empty()) continue;
            std::string at_pos =
                fish_quote(fmt::format("__litellmctl_at {} {}", fish_quote(c.path), i));
            s += fmt::format("complete -c litellmctl -n {} -a {}\n", at_pos,
                             fish_quote(join(c.positional_choices[i])));
        }
        if (c.greedy_tail && !c.tail_choices.empty()) {
            s += fmt::format("complete -c litellmctl -n {} -a {}\n", at,
                             fish_quote(join(c.tail_choices)));
        }
    }
    return s;
}

// ---- setup-completions -----------------------------------------------------------------------

constexpr const char* kBlockBegin = "# >>> litellmctl completions >>>";
constexpr const char* kBlockEnd = "# <<< litellmctl completions <<<";

std::string rc_block(const std::string& shell) {
    return fmt::format(
        "{}\n"
        "# Added by `litellmctl setup-completions`; delete this block to remove it.\n"
        "if command -v litellmctl >/dev/null 2>&1; then\n"
        "    eval \"$(litellmctl completions {})\"\n"
        "fi\n"
        "{}\n",
        kBlockBegin, shell, kBlockEnd);
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

std::string home_dir() {
    std::string home = env_or("HOME", "");
    if (!home.empty()) return home;
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
    return "";
}

/// True when an executable named `name` is in one of the $PATH directories.
bool on_path(const std::string& name) {
    std::string path = env_or("PATH", "");
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t colon = path.find(':', start);
        std::string dir = path.substr(start, colon == std::string::npos ? colon : colon - start);
        if (dir.empty()) dir = ".";
        std::string candidate = dir + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return true;
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return false;
}

/// Finds the marked block: [begin, end) covering its lines (end past the end marker's newline).
/// Returns false when there is none; sets `broken` when the begin marker has no end marker.
bool find_block(const std::string& text, std::size_t& begin, std::size_t& end, bool& broken) {
    broken = false;
    std::size_t pos = 0;
    while ((pos = text.find(kBlockBegin, pos)) != std::string::npos) {
        if (pos == 0 || text[pos - 1] == '\n') break;  // only a marker at the start of a line
        pos += 1;
    }
    if (pos == std::string::npos) return false;
    std::size_t close = pos;
    while ((close = text.find(kBlockEnd, close)) != std::string::npos) {
        if (text[close - 1] == '\n') break;
        close += 1;
    }
    if (close == std::string::npos) {
        broken = true;
        return false;
    }
    begin = pos;
    std::size_t nl = text.find('\n', close);
    end = nl == std::string::npos ? text.size() : nl + 1;
    return true;
}

struct Outcome {
    int exit_code = 0;
    std::string file;
    bool changed = false;
    std::string message;  ///< what was done, for humans
};

// Writes `content` to `file` (atomically, keeping its mode) after saving the old content next to
// it; a symlinked rc file (dotfile managers) is written through to its target.
bool replace_file(const std::string& file, const std::optional<std::string>& old,
                  const std::string& content, std::string& backup, std::string& error) {
    std::error_code ec;
    std::string target = file;
    if (std::filesystem::is_symlink(file, ec)) {
        auto resolved = std::filesystem::canonical(file, ec);
        if (!ec) target = resolved.string();
    }
    mode_t mode = 0644;
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0) mode = st.st_mode & 07777;
    if (old) {
        // Named .litellmctl.bak so an existing ~/.bashrc.bak of the user's is never clobbered.
        backup = file + ".litellmctl.bak";
        if (!write_file_atomic(backup, *old, mode, &error)) return false;
    }
    return write_file_atomic(target, content, mode, &error);
}

Outcome setup_rc(const std::string& shell, const std::string& file) {
    Outcome out;
    out.file = file;
    std::optional<std::string> old;
    if (path_exists(file)) {
        std::string error;
        old = read_file(file, &error);
        if (!old) {
            std::fprintf(stderr, "litellmctl setup-completions: cannot read %s: %s\n", file.c_str(),
                         error.c_str());
            out.exit_code = static_cast<int>(proto::ExitCode::kFailure);
            return out;
        }
    }
    const std::string text = old.value_or("");
    const std::string block = rc_block(shell);
    std::size_t begin = 0, end = 0;
    bool broken = false;
    std::string updated;
    if (find_block(text, begin, end, broken)) {
        if (text.compare(begin, end - begin, block) == 0) {
            out.message = fmt::format(
                "litellmctl completions are already set up in {}; nothing "
                "changed.",
                file);
            return out;
        }
        updated = text.substr(0, begin) + block + text.substr(end);
        out.message = fmt::format("Updated the litellmctl completions block in {}.", file);
    } else if (broken) {
        std::fprintf(stderr,
                     "litellmctl setup-completions: %s has the line \"%s\" but not \"%s\"; fix or "
                     "remove the block by hand, then run this again.\n",
                     file.c_str(), kBlockBegin, kBlockEnd);
        out.exit_code = static_cast<int>(proto::ExitCode::kFailure);
        return out;
    } else {
        updated = text;
        if (!updated.empty() && updated.back() != '\n') updated += '\n';
        if (!updated.empty()) updated += '\n';
        updated += block;
        out.message = fmt::format("Added litellmctl {} completions to {}.", shell, file);
    }
    std::string backup, error;
    if (!replace_file(file, old, updated, backup, error)) {
        std::fprintf(stderr, "litellmctl setup-completions: cannot write %s: %s\n", file.c_str(),
                     error.c_str());
        out.exit_code = static_cast<int>(proto::ExitCode::kFailure);
        return out;
    }
    if (!backup.empty()) out.message += fmt::format(" (previous version: {})", backup);
    out.changed = true;
    // The original's setup line still runs its own (older) completions; point it out, never
    // edit lines we did not write.
    if (text.find("alias litellmctl=") != std::string::npos ||
        text.find("litellmctl --completions") != std::string::npos ||
        text.find("litellmctl --zsh-completions") != std::string::npos) {
        out.message += fmt::format(
            "\nNote: {} also has lines from the original litellmctl (alias litellmctl=..., eval "
            "... --completions); remove them so they do not shadow this one.",
            file);
    }
    return out;
}

Outcome setup_fish(const std::string& file) {
    Outcome out;
    out.file = file;
    std::string script = completion_script(cli_definition(), "fish");
    auto old = path_exists(file) ? read_file(file) : std::nullopt;
    if (old && *old == script) {
        out.message = fmt::format(
            "fish completions for litellmctl are already set up in {}; "
            "nothing changed.",
            file);
        return out;
    }
    std::string error;
    std::string dir = std::filesystem::path(file).parent_path().string();
    if (!dir.empty() && !ensure_directory(dir, 0755, &error)) {
        std::fprintf(stderr, "litellmctl setup-completions: cannot create %s: %s\n", dir.c_str(),
                     error.c_str());
        out.exit_code = static_cast<int>(proto::ExitCode::kFailure);
        return out;
    }
    if (!write_file_atomic(file, script, 0644, &error)) {
        std::fprintf(stderr, "litellmctl setup-completions: cannot write %s: %s\n", file.c_str(),
                     error.c_str());
        out.exit_code = static_cast<int>(proto::ExitCode::kFailure);
        return out;
    }
    out.changed = true;
    out.message = fmt::format(
        "{} fish completions for litellmctl to {} (run this again after updating litellmctl).",
        old ? "Updated" : "Wrote", file);
    return out;
}

}  // namespace

std::string completion_script(const CLI::App& app, std::string_view shell) {
    if (shell != "bash" && shell != "zsh" && shell != "fish") return {};
    std::vector<CommandSpec> commands = ModelBuilder().build(app);
    if (shell == "bash") return bash_script(commands);
    if (shell == "zsh") return zsh_script(commands);
    return fish_script(commands);
}

int setup_completions(const SetupCompletionsOptions& options) {
    std::string shell = options.shell;
    if (shell.empty()) {
        std::string login = env_or("SHELL", "");
        shell = login.substr(login.rfind('/') + 1);
    }
    if (shell != "bash" && shell != "zsh" && shell != "fish") {
        std::fprintf(stderr,
                     "litellmctl setup-completions: %s; pass --shell bash, --shell zsh or "
                     "--shell fish\n",
                     shell.empty() ? "cannot tell the shell ($SHELL is not set)"
                                   : fmt::format("unsupported shell '{}'", shell).c_str());
        return static_cast<int>(proto::ExitCode::kUsage);
    }
    std::string home = home_dir();
    std::string file = options.rc_file;
    if (file.empty()) {
        if (home.empty()) {
            std::fprintf(stderr, "litellmctl setup-completions: HOME is not set; pass --rc FILE\n");
            return static_cast<int>(proto::ExitCode::kUsage);
        }
        if (shell == "bash")
            file = home + "/.bashrc";
        else if (shell == "zsh")
            file = env_or("ZDOTDIR", home) + "/.zshrc";
        else
            file =
                env_or("XDG_CONFIG_HOME", home + "/.config") + "/fish/completions/litellmctl.fish";
    }

    Outcome out = shell == "fish" ? setup_fish(file) : setup_rc(shell, file);
    if (out.exit_code != 0) return out.exit_code;

    if (options.json) {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        d.AddMember("shell", json_str(shell, a), a);
        d.AddMember("file", json_str(out.file, a), a);
        d.AddMember("changed", out.changed, a);
        std::printf("%s\n", json_stringify(d).c_str());
    } else {
        std::printf("%s\nOpen a new shell or run `source %s`.\n", out.message.c_str(),
                    out.file.c_str());
    }
    if (!on_path("litellmctl")) {
        std::fprintf(stderr,
                     "note: litellmctl is not on your PATH, so the completions stay inactive "
                     "until it is. scripts/install puts it in ~/.local/bin; add that to PATH:\n"
                     "  %s\n",
                     shell == "fish" ? "fish_add_path $HOME/.local/bin"
                                     : "export PATH=\"$HOME/.local/bin:$PATH\"");
    }
    std::fflush(stdout);
    return 0;
}

}  // namespace litellm::ctl
