# The local image: the same provisioning on a Debian base, booted under TCG (no KVM in
# CI) with the kernel passed directly, so the base image needs no boot loader.
source "qemu" "local" {
  iso_url          = local.base_image
  iso_checksum     = "none"
  disk_image       = true
  use_backing_file = false
  skip_resize_disk = true
  format           = "qcow2"
  disk_interface   = "virtio"
  net_device       = "virtio-net"
  accelerator      = "tcg"
  qemu_binary      = var.qemu_binary
  headless         = true
  memory           = var.qemu_memory
  cpus             = var.qemu_cpus
  output_directory = var.output_directory
  vm_name          = var.vm_name
  boot_wait        = "5s"
  qemuargs = [
    ["-kernel", var.kernel_path],
    ["-initrd", var.initrd_path],
    ["-append", var.kernel_cmdline],
    ["-serial", "file:${var.output_directory}-console.log"],
  ]

  communicator         = "ssh"
  ssh_username         = var.ssh_username
  ssh_password         = var.ssh_password != "" ? var.ssh_password : null
  ssh_private_key_file = var.ssh_private_key_file != "" ? var.ssh_private_key_file : null
  ssh_timeout          = var.ssh_timeout
  shutdown_command     = "if [ \"$(id -u)\" -eq 0 ]; then systemctl poweroff; else sudo systemctl poweroff; fi"
  shutdown_timeout     = "5m"
}
