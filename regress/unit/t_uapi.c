/*
 * wgd/uapi_parse.c: every key of a userspace API set request, the
 * values wireguard-go accepts and those it refuses, with its errno
 * values; and the engine's check of the operations control sends.
 */

#include <sys/socket.h>

#include <net/if.h>

#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "uapi.h"

#define KEYHEX	"e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"

/* Parses s as the first line after some device lines (peer: in a peer). */
static int
parse(int in_peer, const char *s, struct uapi_op *op)
{
	struct uapi_parser	 p;
	char			 line[256];

	uapi_parser_init(&p);
	p.in_peer = in_peer;
	ATF_REQUIRE(strlen(s) < sizeof(line));
	strcpy(line, s);
	return uapi_parse_line(&p, line, op);
}

static void
check_err(int in_peer, const char *s, int err)
{
	struct uapi_op	 op;
	int		 r = parse(in_peer, s, &op);

	ATF_CHECK_MSG(r == -err, "\"%s\" (%s): %d, not %d", s,
	    in_peer ? "peer" : "device", r, -err);
}

static struct uapi_op
check_op(int in_peer, const char *s, int kind)
{
	struct uapi_op	 op;
	int		 r = parse(in_peer, s, &op);

	ATF_CHECK_MSG(r == 1, "\"%s\": %d", s, r);
	ATF_CHECK_MSG(op.kind == kind, "\"%s\": kind %d, not %d", s, op.kind,
	    kind);
	ATF_CHECK_MSG(uapi_op_valid(&op), "\"%s\": not valid", s);
	return op;
}

ATF_TC_WITHOUT_HEAD(device_keys);
ATF_TC_BODY(device_keys, tc)
{
	struct uapi_op	 op;

	op = check_op(0, "private_key=" KEYHEX, UOP_PRIVATE_KEY);
	ATF_CHECK_EQ(op.u.key[0], 0xe8);
	ATF_CHECK_EQ(op.u.key[31], 0x7a);
	check_op(0, "private_key=E84B5A6D2717C1003A13B431570353DBACA9146CF150C5F8575680FEBA52027A",
	    UOP_PRIVATE_KEY);
	op = check_op(0, "listen_port=51820", UOP_LISTEN_PORT);
	ATF_CHECK_EQ(op.num, 51820);
	op = check_op(0, "listen_port=0", UOP_LISTEN_PORT);
	ATF_CHECK_EQ(op.num, 0);
	op = check_op(0, "listen_port=065535", UOP_LISTEN_PORT);
	ATF_CHECK_EQ(op.num, 65535);
	op = check_op(0, "fwmark=4294967295", UOP_FWMARK);
	ATF_CHECK_EQ(op.num, 4294967295u);
	check_op(0, "replace_peers=true", UOP_REPLACE_PEERS);

	check_err(0, "private_key=" KEYHEX "00", UAPI_EINVAL);
	check_err(0, "private_key=e84b", UAPI_EINVAL);
	check_err(0, "private_key=", UAPI_EINVAL);
	check_err(0, "private_key=zz4b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a",
	    UAPI_EINVAL);
	check_err(0, "listen_port=65536", UAPI_EINVAL);
	check_err(0, "listen_port=-1", UAPI_EINVAL);
	check_err(0, "listen_port=+1", UAPI_EINVAL);
	check_err(0, "listen_port= 1", UAPI_EINVAL);
	check_err(0, "listen_port=", UAPI_EINVAL);
	check_err(0, "fwmark=4294967296", UAPI_EINVAL);
	check_err(0, "fwmark=0x10", UAPI_EINVAL);
	check_err(0, "replace_peers=false", UAPI_EINVAL);
	check_err(0, "replace_peers=TRUE", UAPI_EINVAL);
}

ATF_TC_WITHOUT_HEAD(framing);
ATF_TC_BODY(framing, tc)
{
	check_err(0, "private_key", UAPI_EPROTO);
	check_err(1, "endpoint", UAPI_EPROTO);
	check_err(0, "", UAPI_EPROTO);
	check_err(0, "nonsense=1", UAPI_EINVAL);
	check_err(1, "nonsense=1", UAPI_EINVAL);
	check_err(0, "=1", UAPI_EINVAL);
	/* Peer keys before a public_key, device keys after one. */
	check_err(0, "endpoint=192.0.2.1:1", UAPI_EINVAL);
	check_err(0, "allowed_ip=10.0.0.0/8", UAPI_EINVAL);
	check_err(1, "private_key=" KEYHEX, UAPI_EINVAL);
	check_err(1, "listen_port=1", UAPI_EINVAL);
	check_err(1, "fwmark=1", UAPI_EINVAL);
	check_err(1, "replace_peers=true", UAPI_EINVAL);
}

ATF_TC_WITHOUT_HEAD(sequence);
ATF_TC_BODY(sequence, tc)
{
	struct uapi_parser	 p;
	struct uapi_op		 op;
	char			 l1[] = "listen_port=1", l2[] = "public_key=" KEYHEX,
				 l3[] = "listen_port=2", l4[] = "public_key=" KEYHEX,
				 l5[] = "protocol_version=1";

	uapi_parser_init(&p);
	ATF_CHECK_EQ(uapi_parse_line(&p, l1, &op), 1);
	ATF_CHECK_EQ(uapi_parse_line(&p, l2, &op), 1);
	ATF_CHECK_EQ(op.kind, UOP_PUBLIC_KEY);
	ATF_CHECK_EQ(uapi_parse_line(&p, l3, &op), -UAPI_EINVAL);
	ATF_CHECK_EQ(uapi_parse_line(&p, l4, &op), 1);
	ATF_CHECK_EQ(uapi_parse_line(&p, l5, &op), 0);
}

ATF_TC_WITHOUT_HEAD(peer_keys);
ATF_TC_BODY(peer_keys, tc)
{
	struct uapi_op	 op;
	char		 s[ADDR_STRLEN];

	check_op(0, "public_key=" KEYHEX, UOP_PUBLIC_KEY);
	check_op(1, "public_key=" KEYHEX, UOP_PUBLIC_KEY);
	check_op(1, "update_only=true", UOP_UPDATE_ONLY);
	check_op(1, "remove=true", UOP_REMOVE);
	check_op(1, "replace_allowed_ips=true", UOP_REPLACE_ALLOWED_IPS);
	check_op(1, "preshared_key=" KEYHEX, UOP_PRESHARED_KEY);
	op = check_op(1, "persistent_keepalive_interval=25", UOP_KEEPALIVE);
	ATF_CHECK_EQ(op.num, 25);

	op = check_op(1, "endpoint=192.0.2.1:51820", UOP_ENDPOINT);
	ATF_CHECK_EQ(op.u.ep.af, AF_INET);
	ATF_CHECK_EQ(op.u.ep.port, 51820);
	ATF_CHECK_EQ(op.u.ep.addr[0], 192);
	ATF_CHECK_EQ(op.u.ep.addr[3], 1);
	op = check_op(1, "endpoint=[2001:db8::1]:1", UOP_ENDPOINT);
	ATF_CHECK_EQ(op.u.ep.af, AF_INET6);
	ATF_CHECK_EQ(op.u.ep.port, 1);
	ATF_CHECK_EQ(op.u.ep.addr[0], 0x20);
	ATF_CHECK_EQ(op.u.ep.addr[15], 1);

	/* A link-local endpoint names its interface, by name or index. */
	op = check_op(1, "endpoint=[fe80::1%lo]:51820", UOP_ENDPOINT);
	ATF_CHECK_EQ(op.u.ep.scope, if_nametoindex("lo"));
	ATF_CHECK_EQ(op.u.ep.addr[0], 0xfe);
	op = check_op(1, "endpoint=[fe80::1%7]:51820", UOP_ENDPOINT);
	ATF_CHECK_EQ(op.u.ep.scope, 7);

	op = check_op(1, "allowed_ip=10.1.2.3/8", UOP_ALLOWED_IP);
	addr_format_prefix(&op.u.pfx, s, sizeof(s));
	ATF_CHECK_STREQ(s, "10.0.0.0/8");
	op = check_op(1, "allowed_ip=-fd00::1/64", UOP_REMOVE_ALLOWED_IP);
	addr_format_prefix(&op.u.pfx, s, sizeof(s));
	ATF_CHECK_STREQ(s, "fd00::/64");
	op = check_op(1, "allowed_ip=0.0.0.0/0", UOP_ALLOWED_IP);
	ATF_CHECK_EQ(op.u.pfx.plen, 0);

	ATF_CHECK_EQ(parse(1, "protocol_version=1", &op), 0);
	check_err(1, "protocol_version=2", UAPI_EINVAL);
	check_err(1, "protocol_version=", UAPI_EINVAL);
	check_err(1, "update_only=false", UAPI_EINVAL);
	check_err(1, "remove=1", UAPI_EINVAL);
	check_err(1, "replace_allowed_ips=", UAPI_EINVAL);
	check_err(1, "preshared_key=00", UAPI_EINVAL);
	check_err(1, "persistent_keepalive_interval=65536", UAPI_EINVAL);
	check_err(1, "persistent_keepalive_interval=-1", UAPI_EINVAL);
	check_err(1, "endpoint=192.0.2.1", UAPI_EINVAL);
	check_err(1, "endpoint=192.0.2.1:65536", UAPI_EINVAL);
	check_err(1, "endpoint=192.0.2.1:", UAPI_EINVAL);
	check_err(1, "endpoint=example.org:51820", UAPI_EINVAL);
	check_err(1, "endpoint=2001:db8::1:51820", UAPI_EINVAL);
	check_err(1, "endpoint=[2001:db8::1:51820", UAPI_EINVAL);
	check_err(1, "endpoint=[192.0.2.1]:1", UAPI_EINVAL);
	check_err(1, "endpoint=[fe80::1%nosuchif0]:1", UAPI_EINVAL);
	check_err(1, "endpoint=[fe80::1%0]:1", UAPI_EINVAL);
	check_err(1, "endpoint=[fe80::1%]:1", UAPI_EINVAL);
	check_err(1, "endpoint=192.0.2.1%1:1", UAPI_EINVAL);
	check_err(1, "allowed_ip=10.0.0.1", UAPI_EINVAL);
	check_err(1, "allowed_ip=10.0.0.0/33", UAPI_EINVAL);
	check_err(1, "allowed_ip=10.0.0.0/", UAPI_EINVAL);
	check_err(1, "allowed_ip=10.0.0.0/08", UAPI_EINVAL);
	check_err(1, "allowed_ip=--10.0.0.0/8", UAPI_EINVAL);
	check_err(1, "allowed_ip=::/129", UAPI_EINVAL);
	check_err(1, "allowed_ip=", UAPI_EINVAL);
}

ATF_TC_WITHOUT_HEAD(op_valid);
ATF_TC_BODY(op_valid, tc)
{
	struct uapi_op	 op;

	memset(&op, 0, sizeof(op));
	op.kind = UOP_MAX;
	ATF_CHECK(!uapi_op_valid(&op));
	op.kind = UOP_LISTEN_PORT;
	op.num = 65536;
	ATF_CHECK(!uapi_op_valid(&op));
	op.kind = UOP_FWMARK;
	ATF_CHECK(uapi_op_valid(&op));
	op.kind = UOP_ENDPOINT;
	ATF_CHECK(!uapi_op_valid(&op));
	op.kind = UOP_ALLOWED_IP;
	op.u.pfx.af = AF_INET;
	op.u.pfx.plen = 33;
	ATF_CHECK(!uapi_op_valid(&op));
	op.u.pfx.plen = 8;
	op.u.pfx.addr.bytes[3] = 1;
	ATF_CHECK(!uapi_op_valid(&op));
	op.u.pfx.addr.bytes[3] = 0;
	ATF_CHECK(uapi_op_valid(&op));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, device_keys);
	ATF_TP_ADD_TC(tp, framing);
	ATF_TP_ADD_TC(tp, sequence);
	ATF_TP_ADD_TC(tp, peer_keys);
	ATF_TP_ADD_TC(tp, op_valid);
	return atf_no_error();
}
