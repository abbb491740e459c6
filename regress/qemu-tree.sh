#!/bin/sh
# qemu-tree.sh TREE OUT ROOT ARCH: the Kyua tree of make check ARCH=...
#
# TREE mirrors the source tree's regress/ for the programs built for
# ARCH under OUT: each ARM program (wgd, wgctl, the unit tests, the test
# helpers) is a script that runs the real one through binfmt_misc's
# qemu-user with its libraries from ROOT, and the shell tests, their
# libraries and their data are the source's own.  wgd re-executes
# itself for its children: binfmt_misc, not qemu -L, makes that work,
# and QEMU_LD_PREFIX, inherited, gives each of them ROOT.
#
# TREE/qemu-arch names ARCH, for the tests that cannot run under
# qemu-user to say so when they skip; TREE/source is the source tree.

set -eu

tree=$1 out=$2 root=$3 arch=$4
src=$(pwd)

# wrap program script [VAR=value]: script runs the ARM program.
wrap()
{
	mkdir -p "$(dirname "$2")"
	cat > "$2" <<EOF
#!/bin/sh
# $1 for $arch, run by qemu-user (binfmt_misc) with the libraries of
# $root
QEMU_LD_PREFIX='$root'
export QEMU_LD_PREFIX ${3:-}
exec '$src/$out$1' "\$@"
EOF
	chmod 0755 "$2"
}

rm -rf "$tree.new"
mkdir -p "$tree.new"
echo "$arch" > "$tree.new/qemu-arch"
echo "$src" > "$tree.new/source"
# The build whose children may run without seccomp, which qemu lacks;
# and the one users run, which must refuse to (daemon/t_sandbox).
wrap wgd/wgd-qemu "$tree.new/wgd/wgd"
wrap wgd/wgd "$tree.new/wgd/wgd-strict"
wrap wgctl/wgctl "$tree.new/wgctl/wgctl"
mkdir -p "$tree.new/.obj"
ln -s "$src/.obj/promtool" "$tree.new/.obj/promtool"

# Every suite but the sanitized unit tests (no sanitizers under qemu),
# and man and meta, which check the sources, not a build.
suites="unit config daemon net wgctl"
mkdir -p "$tree.new/regress"
ln -s "$src/regress/qemu.sh" "$tree.new/regress/qemu.sh"
{
	printf 'syntax(2)\n\ntest_suite("wgd")\n\n'
	for s in $suites; do
		printf 'include("%s/Kyuafile")\n' "$s"
	done
} > "$tree.new/regress/Kyuafile"

for s in $suites; do
	(cd regress && find "$s" -path unit/san -prune -o -type f -print) |
	while read -r f; do
		d="$tree.new/regress/$(dirname "$f")"
		mkdir -p "$d"
		case $f in
		*.c|*.o|*.d)
			;;
		*/t_*.sh)
			cp "regress/$f" "$d/$(basename "$f" .sh)"
			chmod 0755 "$d/$(basename "$f" .sh)"
			;;
		*)
			# A native build's program is no data.
			[ -e "regress/$f.sh" ] || [ -e "regress/$f.c" ] ||
			    ln -s "$src/regress/$f" "$tree.new/regress/$f"
			;;
		esac
	done
done

# The ARM programs: whatever OUT holds, with or without a native build.
(cd "$out/regress" && find . -type f -perm -u+x) | while read -r f; do
	f=${f#./}
	wrap "regress/$f" "$tree.new/regress/$f"
done

# libcrypto picks its ChaCha20-Poly1305 by the CPU's features (NEON):
# the AEAD's vectors once more with none, through its scalar code.
u=$tree.new/regress/unit
wrap regress/unit/t_aead "$u/t_aead_scalar" OPENSSL_armcap=0
rm "$u/Kyuafile"
{
	cat regress/unit/Kyuafile
	printf 'atf_test_program{name="t_aead_scalar"}\n'
} > "$u/Kyuafile"

rm -rf "$tree"
mv "$tree.new" "$tree"
