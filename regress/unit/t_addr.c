/*
 * common/addr.c: strict parsing, canonical formatting, masking and
 * containment of IPv4 and IPv6 prefixes.
 */

#include <sys/socket.h>

#include <string.h>

#include <atf-c.h>

#include "addr.h"

static void
require_format(const char *in, const char *out)
{
	struct wgd_prefix	 p;
	char			 s[ADDR_STRLEN];

	ATF_REQUIRE_MSG(addr_parse_prefix(in, &p) == 0, "refused %s", in);
	addr_format_prefix(&p, s, sizeof(s));
	ATF_CHECK_STREQ(s, out);
}

ATF_TC_WITHOUT_HEAD(parse_good);
ATF_TC_BODY(parse_good, tc)
{
	require_format("10.0.0.1/24", "10.0.0.1/24");
	require_format("10.0.0.1", "10.0.0.1/32");
	require_format("0.0.0.0/0", "0.0.0.0/0");
	require_format("::/0", "::/0");
	require_format("fd00:0:0::1/64", "fd00::1/64");
	require_format("FD00::1", "fd00::1/128");
	require_format("::ffff:10.0.0.1/128", "::ffff:10.0.0.1/128");
}

ATF_TC_WITHOUT_HEAD(parse_bad);
ATF_TC_BODY(parse_bad, tc)
{
	static const char *const bad[] = {
		"", "/", "/24", "10.0.0.1/", "10.0.0.1/33", "fd00::/129",
		"10.0.0.1/024", "10.0.0.1/+4", "10.0.0.1/-1", "10.0.0.1/2 ",
		"10.0.0.256", "10.0.0", "010.0.0.1", "10.0.0.1/24/1",
		"fd00::1::2", "host.example.org", "10.0.0.1/99999999999",
	};
	struct wgd_prefix	 p;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_MSG(addr_parse_prefix(bad[i], &p) == -1,
		    "accepted \"%s\"", bad[i]);
	/* A bare address takes no length. */
	ATF_CHECK(addr_parse("10.0.0.1/32", &p) == -1);
	ATF_CHECK(addr_parse("10.0.0.1", &p) == 0);
}

ATF_TC_WITHOUT_HEAD(mask_and_contain);
ATF_TC_BODY(mask_and_contain, tc)
{
	struct wgd_prefix	 a, b;
	char			 s[ADDR_STRLEN];

	ATF_REQUIRE(addr_parse_prefix("192.168.50.77/20", &a) == 0);
	ATF_CHECK(!addr_is_masked(&a));
	addr_mask(&a);
	addr_format_prefix(&a, s, sizeof(s));
	ATF_CHECK_STREQ(s, "192.168.48.0/20");
	ATF_CHECK(addr_is_masked(&a));

	ATF_REQUIRE(addr_parse_prefix("fd00:1234:5678::1/33", &a) == 0);
	addr_mask(&a);
	addr_format_prefix(&a, s, sizeof(s));
	ATF_CHECK_STREQ(s, "fd00:1234::/33");

	ATF_REQUIRE(addr_parse_prefix("10.13.13.1/24", &a) == 0);
	ATF_REQUIRE(addr_parse("10.13.13.9", &b) == 0);
	ATF_CHECK(addr_contains(&a, &b));
	ATF_CHECK(!addr_contains(&b, &a));
	ATF_REQUIRE(addr_parse("10.13.14.9", &b) == 0);
	ATF_CHECK(!addr_contains(&a, &b));
	ATF_REQUIRE(addr_parse("fd00::1", &b) == 0);
	ATF_CHECK(!addr_contains(&a, &b));
	ATF_REQUIRE(addr_parse_prefix("0.0.0.0/0", &a) == 0);
	ATF_REQUIRE(addr_parse("255.255.255.255", &b) == 0);
	ATF_CHECK(addr_contains(&a, &b));
}

ATF_TC_WITHOUT_HEAD(equal_and_order);
ATF_TC_BODY(equal_and_order, tc)
{
	struct wgd_prefix	 a, b;

	ATF_REQUIRE(addr_parse_prefix("10.0.0.0/24", &a) == 0);
	ATF_REQUIRE(addr_parse_prefix("10.0.0.0/25", &b) == 0);
	ATF_CHECK(!addr_equal(&a, &b));
	ATF_CHECK(addr_cmp(&a, &b) < 0);
	b.plen = 24;
	ATF_CHECK(addr_equal(&a, &b));
	ATF_CHECK_EQ(addr_cmp(&a, &b), 0);
	ATF_REQUIRE(addr_parse_prefix("::/0", &b) == 0);
	ATF_CHECK(addr_cmp(&a, &b) < 0);
	ATF_CHECK(addr_cmp(&b, &a) > 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, parse_good);
	ATF_TP_ADD_TC(tp, parse_bad);
	ATF_TP_ADD_TC(tp, mask_and_contain);
	ATF_TP_ADD_TC(tp, equal_and_order);
	return atf_no_error();
}
