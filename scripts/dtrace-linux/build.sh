#!/usr/bin/env bash
# Builds Oracle's DTrace for Linux (the dtrace-utils project) from its source
# archive into a cache folder, as a test tool: the compile gate checks every D
# script loadtrace generates with it, and the live tests run the D scripts on
# Linux through it. loadtrace never needs it at run time.
#
# USAGE: scripts/dtrace-linux/build.sh ARCHIVE.tar.gz
#   Prints the path of the built `dtrace` on its last line of stdout.
#   The build is reused while the archive's SHA-256 is unchanged.
#   LOADTRACE_CACHE sets the cache folder (default ${XDG_CACHE_HOME:-~/.cache}/loadtrace).
#   Needs root for apt-get when a build dependency is missing.
#
# Three changes to the unmodified upstream source are made here, each needed on
# a Debian 12 machine with a current kernel (see docs/platforms/linux.md):
#   1. tracefs lives at /sys/kernel/tracing (debugfs is often not mounted);
#   2. Debian's gcc-bpf 12 miscompiles the BPF objects unless two CSE passes are off;
#   3. the io provider's translator reads the kernel symbol `major_names`, which
#      kernels without CONFIG_KALLSYMS_ALL do not export, so every script would fail.
set -euo pipefail

archive=${1:?usage: $0 ARCHIVE.tar.gz}
[ -f "$archive" ] || { echo "dtrace-linux: no archive at $archive" >&2; exit 2; }
archive=$(cd "$(dirname "$archive")" && pwd)/$(basename "$archive")

sum=$(sha256sum "$archive" | cut -c1-16)
cache=${LOADTRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loadtrace}
prefix="$cache/dtrace-$sum"
bin="$prefix/sbin/dtrace"

if [ -x "$bin" ] && [ -f "$prefix/.complete" ]; then
  echo "dtrace-linux: reusing $prefix" >&2
  echo "$bin"
  exit 0
fi

deps=(gcc-bpf binutils-bpf libbpf-dev binutils-dev libfuse3-dev libpcap-dev libelf-dev bison flex
  libsystemd-dev libpfm4-dev pkg-config make gcc libc6-dev-i386 zlib1g-dev fuse3 gawk)
missing=()
for p in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "dtrace-linux: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$archive" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
cd "$src"

# 1. tracefs path.
sed -i 's|/sys/kernel/debug/tracing/|/sys/kernel/tracing/|' include/tracefs.h
grep -q '"/sys/kernel/tracing/"' include/tracefs.h || { echo "dtrace-linux: tracefs patch did not apply" >&2; exit 1; }
# 2. gcc-bpf 12 code generation.
sed -i 's|^BPFCFLAGS ?= -O2 |BPFCFLAGS ?= -O2 -fno-cse-follow-jumps -fno-rerun-cse-after-loop |' GNUmakefile
grep -q 'fno-cse-follow-jumps' GNUmakefile || { echo "dtrace-linux: BPFCFLAGS patch did not apply" >&2; exit 1; }
# 3. io.d: name the device from the disk, as the buffer_head translator in the same file does.
for f in dlibs/*/*/io.d; do
  perl -0pi -e 's/stringof\(\(\(struct blk_major_name \*\*\)&`major_names\)\[\s*getmajor\(B->bi_bdev->bd_dev\) % 255\s*\]->name\)/stringof(B->bi_bdev->bd_disk->disk_name)/g' "$f"
done
! grep -q 'major_names' dlibs/x86_64/6.10/io.d || { echo "dtrace-linux: io.d patch did not apply" >&2; exit 1; }

./configure --prefix="$prefix" --kernels= BPFC=bpf-gcc BPFLD=bpf-ld LDFLAGS="-Wl,-rpath,$prefix/lib64" >&2
# Kernels without IA32 emulation cannot run the 32-bit helper the build compiles to
# learn glibc's 32-bit link-map layout; build for 64-bit processes only there.
mkargs=(EXTERNAL_64BIT_SDT_TRIGGERS=)
m32=$(mktemp)
if ! { echo 'int main(void){return 0;}' | gcc -m32 -x c -o "$m32" - 2>/dev/null && "$m32"; } 2>/dev/null; then
  mkargs+=(NATIVE_BITNESS_ONLY=t)
fi
rm -f "$m32"
make -j"$(nproc)" "${mkargs[@]}" >&2
rm -rf "$prefix"
make install "${mkargs[@]}" >&2
"$bin" -V >&2
touch "$prefix/.complete"
echo "$bin"
