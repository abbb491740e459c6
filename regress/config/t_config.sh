#! /usr/bin/env atf-sh
#
# Golden tests of the configuration parser: for each NAME.conf here,
# `wgd -nv -f NAME.conf` (plus the arguments in NAME.args, if any) must
# print exactly NAME.ok, stdout and stderr together, and exit 0 when it
# ends in "configuration OK", 1 otherwise.  Adding a case is adding two
# files.

# Git keeps no file modes: give the key files the ones the cases expect.
prepare()
{
	cp -R "$(atf_get_srcdir)/." . || atf_fail "cannot copy the cases"
	chmod 600 keys/*.key keys/*.psk
	chmod 644 keys/open.key
}

check_case()
{
	name=$1
	prepare
	args=
	[ -f "$name.args" ] && args=$(cat "$name.args")
	if tail -n 1 "$name.ok" | grep -qx 'configuration OK'; then
		status=0
	else
		status=1
	fi
	# shellcheck disable=SC2086
	atf_check -s exit:$status -o file:"$name.ok" -e empty -x \
	    "$(atf_get_srcdir)/../../wgd/wgd -nv $args -f $name.conf 2>&1"
}

atf_init_test_cases()
{
	for conf in "$(atf_get_srcdir)"/*.conf; do
		name=$(basename "$conf" .conf)
		fn=$(echo "$name" | tr -c 'A-Za-z0-9_\n' '_')
		eval "${fn}_head() {
			atf_set descr \"wgd -nv -f $name.conf prints $name.ok\"
		}
		${fn}_body() { check_case $name; }"
		atf_add_test_case "$fn"
	done
}
