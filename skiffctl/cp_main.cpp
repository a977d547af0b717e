// skiffctl-cp: `skiffctl cp ...`, which skiffctl forwards here (skiffctl/app.h).
#include "skiffctl/app.h"
#include "skiffctl/cp_commands.h"

int main(int argc, char** argv) {
  return skiff::ctl::run_commands(argc, argv, skiff::ctl::add_cp_commands);
}
