/*
 * DNS messages as the forwarder sees them (RFC 1035 4.1).  It relays
 * queries verbatim and parses only what it must to be no open relay
 * and no amplifier of garbage: a query is one standard question with no
 * answer records; an answer must repeat the question it answers.  The
 * question's name is the first in a message, so nothing before it can
 * be pointed to: a compression pointer there is malformed, and no name
 * is ever followed through pointers (no loops to chase).
 */

#include <string.h>

#include "dns_msg.h"

#define DNS_QR			0x80	/* in byte 2 */
#define DNS_OPCODE(b)		(((b) >> 3) & 0x0f)
#define DNS_TC			0x02	/* in byte 2 */
#define DNS_RCODE(b)		((b) & 0x0f)	/* in byte 3 */
#define DNS_ADDITIONAL_MAX	2	/* EDNS's OPT, and a TSIG or SIG(0) */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint16_t
dns_id(const uint8_t *msg)
{
	return get16(msg);
}

void
dns_set_id(uint8_t *msg, uint16_t id)
{
	msg[0] = id >> 8;
	msg[1] = id & 0xff;
}

int
dns_truncated(const uint8_t *msg, size_t len)
{
	return len >= DNS_HDR_LEN && (msg[2] & DNS_TC) != 0;
}

/*
 * The length of the question at msg[DNS_HDR_LEN]: a name of plain
 * labels, its type and class; 0 when it is not one.
 */
static size_t
question_len(const uint8_t *msg, size_t len)
{
	size_t	 off = DNS_HDR_LEN, name = 0;

	for (;;) {
		if (off >= len)
			return 0;
		if (msg[off] == 0)
			break;
		/* 0xc0 is a pointer, 0x40 and 0x80 are obsolete. */
		if (msg[off] & 0xc0)
			return 0;
		name += msg[off] + 1;
		if (name + 1 > DNS_NAME_MAX)
			return 0;
		off += msg[off] + 1;
	}
	off++;
	if (len - off < 4)
		return 0;
	return off + 4 - DNS_HDR_LEN;
}

/*
 * A query from a client: a standard query (opcode 0) with exactly one
 * question, no answer or authority records, at most an OPT and a
 * signature in the additional section.  Its question is kept in q.
 */
int
dns_query_check(const uint8_t *msg, size_t len, struct dns_question *q)
{
	size_t	 qlen;

	if (len < DNS_HDR_LEN || len > DNS_QUERY_MAX)
		return -1;
	if ((msg[2] & DNS_QR) || DNS_OPCODE(msg[2]) != 0)
		return -1;
	if (get16(msg + 4) != 1 || get16(msg + 6) != 0 ||
	    get16(msg + 8) != 0 || get16(msg + 10) > DNS_ADDITIONAL_MAX)
		return -1;
	if ((qlen = question_len(msg, len)) == 0 || qlen > sizeof(q->q))
		return -1;
	q->id = dns_id(msg);
	q->len = qlen;
	memcpy(q->q, msg + DNS_HDR_LEN, qlen);
	return 0;
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * Whether an answer from a resolver answers the query whose question
 * is q, sent with q->id: a response to a standard query with that id
 * and the same question (names compared without case, as resolvers
 * may change it).  An error answer may leave the question out.
 */
int
dns_answer_check(const uint8_t *msg, size_t len,
    const struct dns_question *q)
{
	size_t	 qlen, i;
	uint16_t qd;

	if (len < DNS_HDR_LEN || len > DNS_MSG_MAX)
		return -1;
	if (dns_id(msg) != q->id || !(msg[2] & DNS_QR) ||
	    DNS_OPCODE(msg[2]) != 0)
		return -1;
	qd = get16(msg + 4);
	if (qd == 0 && DNS_RCODE(msg[3]) != 0)
		return 0;
	if (qd != 1 || (qlen = question_len(msg, len)) != q->len)
		return -1;
	/* Label lengths are below 'A': only letters fold. */
	for (i = 0; i < qlen - 4; i++)
		if (lower(msg[DNS_HDR_LEN + i]) != lower(q->q[i]))
			return -1;
	return memcmp(msg + DNS_HDR_LEN + i, q->q + i, 4) == 0 ? 0 : -1;
}
