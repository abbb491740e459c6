/*
 * Linked into the sanitized unit tests only.  libatf-c keeps its test
 * case list until exit on purpose; that is not our leak to report, and
 * the list of suppressions used must not reach stderr, which Kyua reads.
 */

const char	*__lsan_default_options(void);
const char	*__lsan_default_suppressions(void);

const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

const char *
__lsan_default_suppressions(void)
{
	return "leak:libatf-c.so\n";
}
