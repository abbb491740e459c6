#! /usr/bin/env atf-sh
#
# Every man page is mdoc that mandoc -Tlint passes without a word.

atf_test_case lint
lint_head()
{
	atf_set "descr" "mandoc -Tlint -Wwarning prints nothing for any man page"
	atf_set "require.progs" "mandoc"
}
lint_body()
{
	pages=$(ls "$(atf_get_srcdir)"/../../man/*.[0-9])
	[ -n "$pages" ] || atf_fail "no man pages found"
	for page in $pages; do
		atf_check -s exit:0 -o empty -e empty mandoc -Tlint -Wwarning "$page"
	done
}

atf_test_case documents_commands
documents_commands_head()
{
	atf_set "descr" "wgctl.8 documents every command wgctl accepts"
}
documents_commands_body()
{
	page="$(atf_get_srcdir)/../../man/wgctl.8"
	src="$(atf_get_srcdir)/../../wgctl/parser.c"
	words=$(sed -n 's/^	{ KEYWORD,	"\([a-z-]*\)".*/\1/p' "$src" | sort -u)
	[ -n "$words" ] || atf_fail "no keywords found in parser.c"
	for w in $words; do
		# A flag among the words (doctor -f) is documented as one.
		case $w in
		-*)	grep -q "Fl ${w#-} Ar" "$page" ||
			    atf_fail "wgctl.8 does not document '$w'"
			continue
			;;
		esac
		grep -q "^\.It Cm $w\b" "$page" ||
		    grep -q "^\.Cm $w\b" "$page" ||
		    atf_fail "wgctl.8 does not document '$w'"
	done
}

atf_init_test_cases()
{
	atf_add_test_case lint
	atf_add_test_case documents_commands
}
