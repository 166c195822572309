# Kept alone in this file: Packer 1.6.6 (Debian's) rejects required_plugins, so CI
# validates every other file with it (scripts/check-packer.sh). Run `packer init packer/`
# with Packer >= 1.7 before building.
packer {
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
    qemu = {
      version = ">= 1.1.0"
      source  = "github.com/hashicorp/qemu"
    }
  }
}
