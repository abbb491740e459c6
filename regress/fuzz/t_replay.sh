#! /usr/bin/env atf-sh
#
# Each fuzz harness replays its corpus, regress/fuzz/TARGET: the seeds
# and every crash make fuzz found, once fixed.  replay_TARGET is the
# harness built with replay.c by the normal build's compiler,
# san/replay_TARGET the same with ASan and UBSan; any crash, sanitizer
# report, failed check or leak fails the case, and so does a word on
# stderr.

TARGETS="dns_msg doctor_fw uapi_parse imsg config wgctl_reply importer vnet
    engine"

replay()
{
	dir=$(atf_get_srcdir)
	[ -d "$dir/$2" ] || atf_fail "no corpus $2"
	# What make fuzz found and kept, beside the seeds.
	replayer=$dir/${1}replay_$2
	kept=$dir/corpus/$2
	set -- "$dir/$2"
	[ -d "$kept" ] && set -- "$@" "$kept"
	atf_check -s exit:0 -o match:'^[1-9][0-9]* inputs replayed$' \
	    -e empty "$replayer" "$@"
}

for t in $TARGETS; do
	eval "
atf_test_case $t
${t}_head() { atf_set descr 'the $t corpus, replayed'; }
${t}_body() { replay '' $t; }
atf_test_case ${t}_san
${t}_san_head() { atf_set descr 'the $t corpus, replayed with ASan and UBSan'; }
${t}_san_body() { replay san/ $t; }"
done

atf_test_case targets
targets_head()
{
	atf_set "descr" "every harness here is replayed, from a corpus"
}
targets_body()
{
	# shellcheck disable=SC2086
	all=" $(echo $TARGETS) "
	for f in "$(atf_get_srcdir)"/fuzz_*.c; do
		t=${f##*/fuzz_}
		t=${t%.c}
		case $all in
		*" $t "*)	;;
		*)		atf_fail "fuzz_$t.c is not replayed" ;;
		esac
		[ -n "$(ls "$(atf_get_srcdir)/$t")" ] ||
		    atf_fail "fuzz_$t.c has no corpus"
	done
}

atf_init_test_cases()
{
	for t in $TARGETS; do
		atf_add_test_case "$t"
		atf_add_test_case "${t}_san"
	done
	atf_add_test_case targets
}
