// skiffctl-image: `skiffctl image ...`, which skiffctl forwards here (skiffctl/app.h).
#include "skiffctl/app.h"
#include "skiffctl/image_commands.h"

int main(int argc, char** argv) {
  return skiff::ctl::run_commands(argc, argv, skiff::ctl::add_image_commands);
}
