#!/usr/bin/env bash
# Adds the kernel arguments a node boots with (KERNEL_ARGS, the kernel_args variable) to every
# boot entry with grubby, and to GRUB_CMDLINE_LINUX in /etc/default/grub so a regenerated boot
# configuration keeps them. The default, on x86_64, is the TSC clock source (clocksource=tsc
# tsc=reliable): reading the time then costs no exit to the hypervisor, which workloads that
# read it often (Go, the JVM, tracing) feel; EC2 recommends it on current instance types.
# An image booted by the builder's own kernel (the local qemu build) has no boot loader: its
# command line is kernel_cmdline, and this script says so and changes nothing.
set -o errexit -o nounset -o pipefail

KERNEL_ARGS="${KERNEL_ARGS-}"
INSTALL_ROOT="${INSTALL_ROOT:-}"
ARCH="${ARCH:-x86_64}"

if [[ -z "${KERNEL_ARGS// /}" ]]; then
  echo "configure-kernel-args: kernel_args is empty; the boot entries are left as they are"
  exit 0
fi
if [[ "$ARCH" != "x86_64" && "$KERNEL_ARGS" == *clocksource=tsc* ]]; then
  echo "configure-kernel-args: $ARCH has no TSC; kernel_args \"$KERNEL_ARGS\" is for x86_64" >&2
  exit 1
fi
if ! command -v grubby >/dev/null 2>&1; then
  echo "configure-kernel-args: no grubby, so no boot loader entries to change (an image booted by the builder's kernel; its command line is kernel_cmdline): \"$KERNEL_ARGS\" not added"
  exit 0
fi

grubby --update-kernel=ALL --args="$KERNEL_ARGS"

grub_defaults="$INSTALL_ROOT/etc/default/grub"
cmdline=""
if [[ -f "$grub_defaults" ]]; then
  cmdline="$(sed -n 's/^GRUB_CMDLINE_LINUX="\(.*\)"$/\1/p' "$grub_defaults" | tail -n 1)"
fi
for arg in $KERNEL_ARGS; do
  case " $cmdline " in
    *" $arg "*) ;;
    *) cmdline="${cmdline:+$cmdline }$arg" ;;
  esac
done
if [[ -f "$grub_defaults" ]] && grep -q '^GRUB_CMDLINE_LINUX=' "$grub_defaults"; then
  sed -i "s|^GRUB_CMDLINE_LINUX=.*|GRUB_CMDLINE_LINUX=\"$cmdline\"|" "$grub_defaults"
else
  echo "GRUB_CMDLINE_LINUX=\"$cmdline\"" >>"$grub_defaults"
fi
echo "configure-kernel-args: every boot entry and ${grub_defaults#"$INSTALL_ROOT"} have \"$KERNEL_ARGS\" (GRUB_CMDLINE_LINUX=\"$cmdline\")"
