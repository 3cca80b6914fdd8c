// litellmctl: the command-line client of litellmd.

#include "ctl/commands.hpp"

int main(int argc, char** argv) {
    return litellm::ctl::run(argc, argv);
}
