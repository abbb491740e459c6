#! /usr/bin/env atf-sh
#
# The tree's shell scripts call only programs that make deps installs,
# and each test requires every such program it calls: on a machine that
# lacks one, the test is skipped by name (and .ci/run counts that as a
# failure) instead of failing halfway for a reason nobody can read.

top="$(atf_get_srcdir)/../.."
PROGS="$(atf_get_srcdir)/progs.py"

atf_test_case tree
tree_head()
{
	atf_set "require.progs" "/usr/bin/python3"
	atf_set "descr" "every test requires the programs it calls, and make deps installs them all"
}
tree_body()
{
	atf_check -s exit:0 -o empty -e save:err /usr/bin/python3 "$PROGS" "$top"
	# Before make deb has installed its tools, regress/pkg is left out,
	# and said to be: nothing else may be said.
	grep -v '^progs.py: regress/pkg not checked: make deb installs ' err &&
	    atf_fail "progs.py said more"
	true
}

# fake_tree: a tree whose make deps installs procps and iproute2 only.
fake_tree()
{
	mkdir -p t/regress/x t/bench t/demo
	printf 'DEB_PACKAGES = procps \\\n\t\tiproute2\n' > t/GNUmakefile
	cat > t/regress/x/t_a.sh <<'SH'
#! /usr/bin/env atf-sh
. "$(atf_get_srcdir)/lib.sh"
atf_test_case ok
ok_head() { atf_set "require.progs" "pgrep ip"; }
ok_body() { children; ip link; }
atf_test_case bad cleanup
bad_head() { atf_set "require.progs" "ip"; }
bad_body()
{
	x=$(ip netns exec ns1 ss -Hl | grep -c foo)
	echo "not a call: pgrep"
	/usr/bin/free -m
}
bad_cleanup() { children; }
atf_test_case py
py_head()
{
	atf_set "require.progs" "python3 wg"
	atf_set "require.progs" "python3 wg"
}
py_body()
{
	python3 -c 'print(1)'
	awk '
		{ w = 1; top = 2 }
	' /dev/null
}
atf_init_test_cases()
{
	atf_add_test_case ok
	atf_add_test_case bad
	atf_add_test_case py
}
SH
	printf 'children()\n{\n\tpgrep -P 1\n}\n' > t/regress/x/lib.sh
	cp t/regress/x/t_a.sh t/regress/x/t_a
	chmod +x t/regress/x/t_a
	printf '#!/bin/sh\n# progs-optional: perf\nperf record\nfree -m\n' \
	    > t/bench/bench.sh
	printf '#!/bin/sh\nip link | wc -l\nwg show\n' > t/demo/demo.sh
}

atf_test_case catches
catches_head()
{
	atf_set "require.progs" "/usr/bin/python3 pgrep ss wg"
	atf_set "descr" "the check finds a program called without require.progs, through functions, substitutions and wrappers, one make deps does not install, and a property set twice"
}
catches_body()
{
	fake_tree
	cat > expout <<'OUT'
regress/x/t_a.sh:bad: calls /usr/bin/free (procps) without require.progs
regress/x/t_a.sh:bad: calls pgrep (procps) without require.progs
regress/x/t_a.sh:bad: calls ss (iproute2) without require.progs
regress/x/t_a.sh:py: sets a property twice
regress/x/t_a.sh:py: requires python3, which make deps does not install
regress/x/t_a.sh:py: requires wg, which make deps does not install
regress/x/t_a.sh:py: calls python3 by name, not as /usr/bin/python3
demo/demo.sh: calls wg (wireguard-tools), which make deps does not install
OUT
	atf_check -s exit:1 -o file:expout -e empty \
	    /usr/bin/python3 "$PROGS" t
}

atf_init_test_cases()
{
	atf_add_test_case tree
	atf_add_test_case catches
}
