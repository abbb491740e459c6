#! /usr/bin/env atf-sh
#
# wgctl genkey, genpsk and pubkey against wg(8) from wireguard-tools:
# same output for the same input, same refusals.

# The wgctl under test comes first in PATH, for atf_check too.
use_build()
{
	PATH="$(atf_get_srcdir)/../../wgctl:$PATH"
	export PATH
}

atf_test_case pubkey_matches_wg
pubkey_matches_wg_head()
{
	atf_set "descr" "for 100 random keys wgctl pubkey prints what wg pubkey prints"
	atf_set "require.progs" "wg"
}
pubkey_matches_wg_body()
{
	use_build
	i=0
	while [ $i -lt 100 ]; do
		priv=$(wg genkey) || atf_fail "wg genkey"
		ours=$(printf '%s\n' "$priv" | wgctl pubkey) ||
		    atf_fail "wgctl pubkey refused $priv"
		theirs=$(printf '%s\n' "$priv" | wg pubkey)
		[ "$ours" = "$theirs" ] ||
		    atf_fail "$priv: wgctl says $ours, wg says $theirs"
		i=$((i + 1))
	done
}

atf_test_case genkey_accepted_by_wg
genkey_accepted_by_wg_head()
{
	atf_set "descr" "wg pubkey accepts what wgctl genkey prints, and agrees"
	atf_set "require.progs" "wg"
}
genkey_accepted_by_wg_body()
{
	use_build
	i=0
	while [ $i -lt 100 ]; do
		wgctl genkey > key || atf_fail "wgctl genkey"
		# 44 characters and a newline, nothing else.
		[ "$(wc -c < key)" -eq 45 ] || atf_fail "genkey: $(cat key)"
		wg pubkey < key > wgpub || atf_fail "wg refused $(cat key)"
		wgctl pubkey < key > ourpub || atf_fail "wgctl pubkey"
		cmp -s wgpub ourpub || atf_fail "pubkeys differ for $(cat key)"
		i=$((i + 1))
	done
}

atf_test_case genkey_is_clamped
genkey_is_clamped_head()
{
	atf_set "descr" "generated private keys are clamped X25519 scalars, preshared keys are 32 random bytes"
}
genkey_is_clamped_body()
{
	use_build
	i=0
	while [ $i -lt 20 ]; do
		wgctl genkey | base64 -d | od -An -tu1 -v | tr -s ' \n' '  ' \
		    > bytes
		set -- $(cat bytes)
		[ $# -eq 32 ] || atf_fail "genkey: $# bytes"
		[ $(($1 % 8)) -eq 0 ] || atf_fail "low bits set: $1"
		eval last=\${32}
		[ $((last & 192)) -eq 64 ] || atf_fail "high bits: $last"
		[ "$(wgctl genpsk | base64 -d | wc -c)" -eq 32 ] ||
		    atf_fail "genpsk is not 32 bytes"
		i=$((i + 1))
	done
	a=$(wgctl genpsk)
	b=$(wgctl genpsk)
	[ "$a" != "$b" ] || atf_fail "two preshared keys are equal"
}

atf_test_case pubkey_bad_input
pubkey_bad_input_head()
{
	atf_set "descr" "short, long and non-base64 keys are refused with one line on stderr and exit 1, like wg"
	atf_set "require.progs" "wg"
}
pubkey_bad_input_body()
{
	use_build
	good=$(wgctl genkey)
	short=$(printf '%s' "$good" | cut -c 2-)
	long="A$good"
	notb64=$(printf '%s' "$good" | sed 's/^./!/')
	hyphen=$(printf '%s' "$good" | sed 's/^./-/')
	# Non-zero bits after the 32nd byte: 'B' instead of a multiple of 4.
	tailbits=$(printf '%s' "$good" | sed 's/.=$/B=/')
	for input in "" "$short" "$long" "$notb64" "$hyphen" "$tailbits" \
	    " $good" "$good x" "$good$good"; do
		if printf '%s\n' "$input" | wg pubkey >/dev/null 2>&1; then
			atf_fail "test bug: wg accepts '$input'"
		fi
		printf '%s\n' "$input" > in
		atf_check -s exit:1 -o empty -e save:err wgctl pubkey < in
		[ "$(wc -l < err)" -eq 1 ] ||
		    atf_fail "not one line for '$input': $(cat err)"
		grep -q '^wgctl: ' err || atf_fail "no program name: $(cat err)"
	done
	# No newline at all, and nothing at all.
	printf '%s' "$short" > in
	atf_check -s exit:1 -o empty -e match:'not the correct' wgctl pubkey < in
	atf_check -s exit:1 -o empty -e match:'not the correct' wgctl pubkey \
	    < /dev/null
}

atf_test_case pubkey_trailing_space
pubkey_trailing_space_head()
{
	atf_set "descr" "trailing white space and newlines are accepted as wg accepts them"
	atf_set "require.progs" "wg"
}
pubkey_trailing_space_body()
{
	use_build
	priv=$(wgctl genkey)
	want=$(printf '%s' "$priv" | wg pubkey)
	for tail in '' '\n' '\n\n' '   \n' '\t\r\n' ' \v\f' '\n  \n'; do
		printf "%s$tail" "$priv" > in
		wg pubkey < in > theirs ||
		    atf_fail "test bug: wg refuses tail '$tail'"
		atf_check -s exit:0 -o inline:"$want\n" wgctl pubkey < in
	done
	# A NUL byte after the key, which wg skips as well.
	printf '%s\0\n' "$priv" > in
	wg pubkey < in > theirs || atf_fail "test bug: wg refuses NUL"
	atf_check -s exit:0 -o inline:"$want\n" wgctl pubkey < in
}

atf_test_case unknown_command
unknown_command_head()
{
	atf_set "descr" "unknown or ambiguous commands fail with one line; unique abbreviations work"
}
unknown_command_body()
{
	use_build
	umask 077	# atf_check keeps stdout in a file: no key warning
	atf_check -s exit:1 -o empty -e match:'unknown argument "frobnicate"' \
	    wgctl frobnicate
	atf_check -s exit:1 -o empty -e match:'ambiguous argument "gen"' \
	    wgctl gen
	atf_check -s exit:1 -o empty -e match:'^usage: wgctl' wgctl
	atf_check -s exit:1 -o empty -e match:'unexpected argument "x"' \
	    wgctl genkey x
	atf_check -s exit:0 -o match:'^[A-Za-z0-9+/]{43}=$' wgctl genk
	priv=$(wgctl genkey)
	want=$(printf '%s' "$priv" | wgctl pubkey)
	atf_check -s exit:0 -o inline:"$want\n" -x "echo $priv | wgctl pu"
}

atf_test_case genkey_world_readable_warning
genkey_world_readable_warning_head()
{
	atf_set "descr" "genkey into a file others can read warns, as wg does"
}
genkey_world_readable_warning_body()
{
	use_build
	umask 022
	atf_check -s exit:0 -o empty -e match:'others can read' \
	    -x "wgctl genkey > open.key"
	umask 077
	atf_check -s exit:0 -o empty -e empty \
	    -x "wgctl genkey > closed.key"
}

atf_init_test_cases()
{
	atf_add_test_case pubkey_matches_wg
	atf_add_test_case genkey_accepted_by_wg
	atf_add_test_case genkey_is_clamped
	atf_add_test_case pubkey_bad_input
	atf_add_test_case pubkey_trailing_space
	atf_add_test_case unknown_command
	atf_add_test_case genkey_world_readable_warning
}
