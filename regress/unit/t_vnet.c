/*
 * wgd/vnet.c: TSO and USO super-packets split into the packets the wire
 * would carry, checked against a naive segmenter written here from the
 * RFCs (one byte pair at a time) and by a receiver that checks every
 * checksum; the partial checksums of single packets; the coalescing of
 * TCP segments back into one write and that write split again; and
 * hostile headers, which are refused without a crash.
 */

#include <sys/types.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "vnet.h"

#define ROOM		(VNET_HDR_LEN + 65536)
#define ARENA		(2 * 65536 + VNET_MAX_SEGMENTS * 64)
#define HEADROOM	16
#define TAILROOM	32

static uint8_t		*arena;
static struct vnet_pkt	 segs[VNET_MAX_SEGMENTS];

static void
setup(void)
{
	srandom(1234);
	if (arena == NULL)
		ATF_REQUIRE((arena = malloc(ARENA)) != NULL);
}

static int
split(const struct vnet_hdr *h, const uint8_t *p, size_t len)
{
	return vnet_split(h, p, len, arena, ARENA, HEADROOM, TAILROOM, segs,
	    VNET_MAX_SEGMENTS);
}

static uint16_t
g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
g32(const uint8_t *p)
{
	return (uint32_t)g16(p) << 16 | g16(p + 2);
}

static void
p16(uint8_t *p, unsigned v)
{
	p[0] = (v >> 8) & 0xff;
	p[1] = v & 0xff;
}

/* RFC 1071, the way it is written down: big-endian pairs, then fold. */
static uint32_t
naive_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += g16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t
naive_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t
naive_pseudo(const uint8_t *ip, int v6, uint8_t proto, size_t len)
{
	uint32_t	 sum;

	sum = v6 ? naive_sum(0, ip + 8, 32) : naive_sum(0, ip + 12, 8);
	return sum + proto + (uint32_t)len;
}

/* The receiver: every checksum of one IP packet, 1 if all are right. */
static int
valid_packet(const uint8_t *p, size_t len)
{
	size_t	 iphlen;
	int	 v6 = p[0] >> 4 == 6;
	uint8_t	 proto;

	if (v6) {
		if (len < 40 || g16(p + 4) + 40u != len)
			return 0;
		iphlen = 40;
		proto = p[6];
	} else {
		iphlen = (p[0] & 0xf) * 4;
		if (g16(p + 2) != len ||
		    naive_fold(naive_sum(0, p, iphlen)) != 0xffff)
			return 0;
		proto = p[9];
	}
	if (proto == IPPROTO_UDP && g16(p + iphlen + 4) != len - iphlen)
		return 0;
	return naive_fold(naive_sum(naive_pseudo(p, v6, proto, len - iphlen),
	    p + iphlen, len - iphlen)) == 0xffff;
}

/* Every address byte this, when set: sums near 2^64 carry. */
static int	 addr_fill = -1;

/*
 * A super-packet as the kernel hands it over: IP header (IPv4 with
 * optlen bytes of options, or IPv6), TCP with thlen bytes of header or
 * UDP, payload random bytes, and the pseudo-header's partial sum in the
 * transport checksum.  Returns its length; fills the vnet header.
 */
static size_t
make_super(uint8_t *p, int v6, int udp, size_t optlen, size_t thlen,
    size_t payload, uint16_t gso_size, uint8_t tcpflags, struct vnet_hdr *h)
{
	size_t	 iphlen = v6 ? 40 : 20 + optlen, len, i;
	uint8_t	*t;
	uint8_t	 proto = udp ? IPPROTO_UDP : IPPROTO_TCP;

	if (udp)
		thlen = 8;
	len = iphlen + thlen + payload;
	memset(p, 0, iphlen + thlen);
	if (v6) {
		p[0] = 0x60;
		p[1] = 0x0b;		/* traffic class and flow label bits */
		p16(p + 4, (unsigned)(len - 40));
		p[6] = proto;
		p[7] = 64;
		for (i = 0; i < 32; i++)
			p[8 + i] = (uint8_t)(addr_fill >= 0 ? addr_fill :
			    0xfd + (int)i);
	} else {
		p[0] = 0x40 | (uint8_t)(iphlen / 4);
		p[1] = 0x02;
		p16(p + 2, (unsigned)len);
		p16(p + 4, 0xfff0);	/* the id wraps during the split */
		p[6] = 0x40;		/* DF */
		p[8] = 64;
		p[9] = proto;
		p[12] = 10, p[13] = 77, p[14] = 0, p[15] = 2;
		p[16] = 10, p[17] = 77, p[18] = 0, p[19] = 1;
		if (addr_fill >= 0)
			memset(p + 12, addr_fill, 8);
		for (i = 20; i < iphlen; i++)
			p[i] = 1;	/* NOP options */
	}
	t = p + iphlen;
	p16(t, 40000);
	p16(t + 2, 5201);
	if (udp)
		p16(t + 4, (unsigned)(len - iphlen));
	else {
		t[4] = 0xff, t[5] = 0xff, t[6] = 0xf0, t[7] = 0x00; /* wraps */
		t[8] = 1, t[9] = 2, t[10] = 3, t[11] = 4;
		t[12] = (uint8_t)(thlen / 4) << 4;
		t[13] = tcpflags;
		p16(t + 14, 502);
		for (i = 20; i < thlen; i++)
			t[i] = (uint8_t)(i == 20 ? 8 : 0x42);
	}
	for (i = iphlen + thlen; i < len; i++)
		p[i] = (uint8_t)random();
	p16(t + (udp ? 6 : 16), naive_fold(naive_pseudo(p, v6, proto,
	    len - iphlen)));
	if (!v6)
		p16(p + 10, (uint16_t)~naive_fold(naive_sum(0, p, iphlen)));
	memset(h, 0, sizeof(*h));
	h->flags = VNET_F_NEEDS_CSUM;
	h->gso_type = udp ? VNET_GSO_UDP_L4 : v6 ? VNET_GSO_TCPV6 :
	    VNET_GSO_TCPV4;
	h->hdr_len = (uint16_t)(iphlen + thlen);
	h->gso_size = gso_size;
	h->csum_start = (uint16_t)iphlen;
	h->csum_offset = udp ? 6 : 16;
	return len;
}

/*
 * The naive segmenter: the expected packet i of a super-packet, built
 * field by field from the super-packet's headers.
 */
static size_t
naive_segment(const uint8_t *sp, size_t splen, const struct vnet_hdr *h,
    size_t i, size_t n, uint8_t *o)
{
	int	 v6 = sp[0] >> 4 == 6, udp = h->gso_type == VNET_GSO_UDP_L4;
	size_t	 iphlen = v6 ? 40 : (size_t)(sp[0] & 0xf) * 4;
	size_t	 thlen = udp ? 8 : (size_t)(sp[iphlen + 12] >> 4) * 4;
	size_t	 hdr = iphlen + thlen, off = i * h->gso_size;
	size_t	 seg = splen - hdr - off < h->gso_size ? splen - hdr - off :
		    h->gso_size;
	uint8_t	*t = o + iphlen;
	uint8_t	 fl;
	uint16_t c;

	memcpy(o, sp, hdr);
	memcpy(o + hdr, sp + hdr + off, seg);
	if (v6)
		p16(o + 4, (unsigned)(thlen + seg));
	else {
		p16(o + 2, (unsigned)(hdr + seg));
		p16(o + 4, (g16(sp + 4) + i) & 0xffff);
		o[10] = o[11] = 0;
		p16(o + 10, (uint16_t)~naive_fold(naive_sum(0, o, iphlen)));
	}
	if (udp) {
		p16(t + 4, (unsigned)(8 + seg));
		t[6] = t[7] = 0;
		c = ~naive_fold(naive_sum(naive_pseudo(o, v6, IPPROTO_UDP,
		    8 + seg), t, 8 + seg));
		p16(t + 6, c == 0 ? 0xffff : c);
	} else {
		uint32_t seq = g32(sp + iphlen + 4) + (uint32_t)off;

		t[4] = seq >> 24, t[5] = seq >> 16, t[6] = seq >> 8, t[7] = seq;
		fl = sp[iphlen + 13];
		if (i + 1 < n)
			fl &= ~(0x01 | 0x08);	/* FIN, PSH */
		if (i > 0)
			fl &= ~0x80;		/* CWR */
		t[13] = fl;
		t[16] = t[17] = 0;
		p16(t + 16, (uint16_t)~naive_fold(naive_sum(naive_pseudo(o, v6,
		    IPPROTO_TCP, thlen + seg), t, thlen + seg)));
	}
	return hdr + seg;
}

static void
check_split(int v6, int udp, size_t optlen, size_t thlen, size_t payload,
    uint16_t gso_size, uint8_t flags)
{
	static uint8_t	 sp[65536], exp[65536];
	struct vnet_hdr	 h;
	size_t		 len, i, n, elen;
	int		 got;

	len = make_super(sp, v6, udp, optlen, thlen, payload, gso_size, flags,
	    &h);
	n = (payload + gso_size - 1) / gso_size;
	got = split(&h, sp, len);
	ATF_REQUIRE_EQ_MSG(got, (int)n, "v6 %d udp %d payload %zu gso %u: "
	    "%d segments, not %zu", v6, udp, payload, gso_size, got, n);
	for (i = 0; i < n; i++) {
		/* Room before and after each, for the data path's own. */
		ATF_REQUIRE(segs[i].data >= (i == 0 ? arena : segs[i - 1].data +
		    segs[i - 1].len + TAILROOM) + HEADROOM);
		ATF_REQUIRE(segs[i].data + segs[i].len + TAILROOM <=
		    arena + ARENA);
		elen = naive_segment(sp, len, &h, i, n, exp);
		ATF_REQUIRE_EQ_MSG(segs[i].len, elen, "segment %zu length", i);
		if (memcmp(segs[i].data, exp, elen) != 0)
			atf_tc_fail("v6 %d udp %d payload %zu gso %u: segment "
			    "%zu differs", v6, udp, payload, gso_size, i);
		if (!valid_packet(segs[i].data, segs[i].len))
			atf_tc_fail("segment %zu has a bad checksum", i);
	}
}

ATF_TC_WITHOUT_HEAD(checksum);
ATF_TC_BODY(checksum, tc)
{
	uint8_t		 buf[2100];
	size_t		 off, len;
	uint16_t	 ours, c;
	int		 i;

	setup();
	for (i = 0; i < 20000; i++) {
		off = random() % 16;
		len = random() % 2000;
		for (size_t j = 0; j < off + len; j++)
			buf[j] = (uint8_t)random();
		ours = vnet_csum_fold(vnet_csum_add(0, buf + off, len));
		memcpy(&c, &ours, 2);
		/* Stored as the machine keeps it, read as the wire has it. */
		ATF_REQUIRE_EQ_MSG(g16((uint8_t *)&c), naive_fold(naive_sum(0,
		    buf + off, len)), "length %zu at offset %zu", len, off);
	}
}

/* The largest sums: every word 0xffff, on top of 2^64 - 1 (a zero). */
ATF_TC_WITHOUT_HEAD(checksum_carries);
ATF_TC_BODY(checksum_carries, tc)
{
	static uint8_t	 buf[65535];
	size_t		 len;
	uint16_t	 ours, c;

	memset(buf, 0xff, sizeof(buf));
	for (len = sizeof(buf) - 64; len <= sizeof(buf); len++) {
		ours = vnet_csum_fold(vnet_csum_add(UINT64_MAX, buf, len));
		memcpy(&c, &ours, 2);
		ATF_REQUIRE_EQ_MSG(g16((uint8_t *)&c), naive_fold(naive_sum(
		    0, buf, len)), "length %zu", len);
	}
}

ATF_TC_WITHOUT_HEAD(split_tcp);
ATF_TC_BODY(split_tcp, tc)
{
	const uint16_t	 sizes[] = { 1380, 1368, 536, 1000, 1 };
	size_t		 s, p;
	int		 v6;

	setup();
	for (v6 = 0; v6 <= 1; v6++)
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			for (p = 0; p < 6; p++) {
				size_t	 max = sizes[s] * (size_t)64;
				size_t	 payload = p == 0 ? 1 : p == 1 ?
					    sizes[s] : 1 + random() % max;

				if (payload > 65535 - 40 - 32 - 40)
					payload = 65535 - 40 - 32 - 40;
				if ((payload + sizes[s] - 1) / sizes[s] >
				    VNET_MAX_SEGMENTS)
					continue;
				/* ACK, PSH, FIN, CWR and ECE set. */
				check_split(v6, 0, 0, 32, payload, sizes[s],
				    0x10 | 0x08 | 0x01 | 0x80 | 0x40);
				check_split(v6, 0, v6 ? 0 : 8, 20, payload,
				    sizes[s], 0x10);
			}
	/* The largest: 64 KiB of IP packet. */
	check_split(0, 0, 0, 32, 65535 - 20 - 32, 1380, 0x18);
	check_split(1, 0, 0, 32, 65535 - 40 - 32, 1368, 0x18);
}

ATF_TC_WITHOUT_HEAD(split_udp);
ATF_TC_BODY(split_udp, tc)
{
	int	 v6, i;

	setup();
	for (v6 = 0; v6 <= 1; v6++) {
		check_split(v6, 1, 0, 0, 1392, 1392, 0);
		check_split(v6, 1, 0, 0, 1392 * 40, 1392, 0);
		check_split(v6, 1, 0, 0, 65535 - 48, 1392, 0);
		for (i = 0; i < 50; i++)
			check_split(v6, 1, 0, 0, 1 + random() % 60000,
			    (uint16_t)(600 + random() % 900), 0);
	}
}

ATF_TC_WITHOUT_HEAD(carries);
ATF_TC_BODY(carries, tc)
{
	int	 v6;

	/* Address sums close to 2^64: the pseudo-header's carries count. */
	setup();
	addr_fill = 0xff;
	for (v6 = 0; v6 <= 1; v6++) {
		check_split(v6, 0, 0, 32, 1380 * 10 + 5, 1380, 0x18);
		check_split(v6, 1, 0, 0, 1392 * 10 + 5, 1392, 0);
	}
	addr_fill = -1;
}

/* A UDP checksum that comes out as zero is sent as all ones. */
ATF_TC_WITHOUT_HEAD(zero_checksum);
ATF_TC_BODY(zero_checksum, tc)
{
	uint8_t		 p[1500], q[1500];
	struct vnet_hdr	 h;
	size_t		 len;
	int		 v6;

	setup();
	for (v6 = 0; v6 <= 1; v6++) {
		len = make_super(p, v6, 1, 0, 0, 700, 0, 0, &h);
		h.gso_type = VNET_GSO_NONE;
		/*
		 * Make the data sum to what the checksum would have been:
		 * the finished checksum is then zero.
		 */
		memcpy(q, p, len);
		q[len - 2] = q[len - 1] = 0;
		p[len - 2] = p[len - 1] = 0;
		ATF_REQUIRE(vnet_finish_csum(q, len, &h) == 0);
		memcpy(p + len - 2, q + (v6 ? 40 : 20) + 6, 2);
		ATF_REQUIRE(vnet_finish_csum(p, len, &h) == 0);
		ATF_CHECK_EQ(g16(p + (v6 ? 40 : 20) + 6), 0xffff);
		ATF_CHECK(valid_packet(p, len));
	}
}

ATF_TC_WITHOUT_HEAD(finish_csum);
ATF_TC_BODY(finish_csum, tc)
{
	uint8_t		 p[1500];
	struct vnet_hdr	 h;
	size_t		 len;
	int		 v6, udp;

	setup();
	for (v6 = 0; v6 <= 1; v6++)
		for (udp = 0; udp <= 1; udp++) {
			len = make_super(p, v6, udp, 0, 20, 700, 0, 0x18, &h);
			h.gso_type = VNET_GSO_NONE;
			ATF_CHECK(!valid_packet(p, len));
			ATF_REQUIRE_EQ(split(&h, p, len), 1);
			ATF_CHECK_EQ(segs[0].len, len);
			ATF_CHECK(valid_packet(segs[0].data, segs[0].len));
			ATF_REQUIRE(vnet_finish_csum(p, len, &h) == 0);
			ATF_CHECK(valid_packet(p, len));
		}
	/* Nothing asked: nothing touched. */
	h.flags = 0;
	memcpy(segs[0].data, p, len);
	ATF_CHECK(vnet_finish_csum(p, len, &h) == 0);
	ATF_CHECK(memcmp(segs[0].data, p, len) == 0);
	/* The field or the start past the end. */
	h.flags = VNET_F_NEEDS_CSUM;
	h.csum_start = (uint16_t)len;
	ATF_CHECK(vnet_finish_csum(p, len, &h) == -1);
	h.csum_start = 40;
	h.csum_offset = (uint16_t)(len - 41);
	ATF_CHECK(vnet_finish_csum(p, len, &h) == -1);
	h.csum_offset = 0xffff;
	ATF_CHECK(vnet_finish_csum(p, len, &h) == -1);
}

ATF_TC_WITHOUT_HEAD(hostile);
ATF_TC_BODY(hostile, tc)
{
	static uint8_t	 sp[65536];
	struct vnet_hdr	 h, bad;
	size_t		 len;
	int		 i, j, got;

	setup();
	len = make_super(sp, 0, 0, 0, 32, 20000, 1380, 0x18, &h);
	ATF_REQUIRE(split(&h, sp, len) == 15);

	bad = h, bad.gso_size = 0;
	ATF_CHECK(split(&bad, sp, len) == -1);
	bad = h, bad.hdr_len = (uint16_t)(len + 1);
	ATF_CHECK(split(&bad, sp, len) == -1);
	bad = h, bad.csum_start = 0;
	ATF_CHECK(split(&bad, sp, len) == -1);
	bad = h, bad.gso_type = 3;	/* UFO: never offered */
	ATF_CHECK(split(&bad, sp, len) == -1);
	bad = h, bad.gso_type = VNET_GSO_TCPV6;
	ATF_CHECK(split(&bad, sp, len) == -1);
	bad = h, bad.gso_type = VNET_GSO_UDP_L4;
	ATF_CHECK(split(&bad, sp, len) == -1);
	/* A length that does not add up, either way. */
	ATF_CHECK(split(&h, sp, len - 1) == -1);
	ATF_CHECK(split(&h, sp, len + 1) == -1);
	/* More segments than room for them, or larger than a buffer. */
	bad = h, bad.gso_size = 100;
	ATF_CHECK(split(&bad, sp, len) ==
	    -1);
	ATF_CHECK(vnet_split(&h, sp, len, arena, ARENA, 0, 0, segs, 14) == -1);
	ATF_CHECK(vnet_split(&h, sp, len, arena, 20000 + 15 * 52 - 1, 0, 0,
	    segs, 128) == -1);
	ATF_CHECK(vnet_split(&h, sp, len, arena, 20000 + 15 * 52, 0, 0,
	    segs, 128) == 15);
	ATF_CHECK(vnet_split(&h, sp, len, arena, 20000 + 15 * 60, 4, 5,
	    segs, 128) == -1);
	/* A TCP data offset below 5 words or past the packet. */
	sp[20 + 12] = 0x40;
	ATF_CHECK(split(&h, sp, len) == -1);
	sp[20 + 12] = 0x80;
	ATF_CHECK(split(&h, sp, 60) == -1);
	/* Headers only, no payload. */
	len = make_super(sp, 1, 0, 0, 20, 0, 1380, 0x10, &h);
	ATF_CHECK(split(&h, sp, len) == -1);
	/* An IPv4 fragment. */
	len = make_super(sp, 0, 1, 0, 0, 3000, 1392, 0, &h);
	sp[6] |= 0x20;
	ATF_CHECK(split(&h, sp, len) == -1);
	ATF_CHECK(split(&h, sp, 0) == -1);

	/* Random headers over random bytes: refused or in bounds. */
	for (i = 0; i < 200000; i++) {
		len = 1 + random() % 3000;
		for (j = 0; j < 64; j++)
			sp[j] = (uint8_t)random();
		if (i % 2) {
			sp[0] = (uint8_t)(i % 4 ? 0x45 : 0x60);
			p16(sp + 2, (unsigned)len);
			p16(sp + 4, (unsigned)len - 40);
			sp[6] = 0;
			sp[9] = sp[6] = (uint8_t)(i % 3 ? 6 : 17);
		}
		h.flags = (uint8_t)random();
		h.gso_type = (uint8_t)(random() % 7);
		h.hdr_len = (uint16_t)random();
		h.gso_size = (uint16_t)(random() % 1500);
		h.csum_start = (uint16_t)(i % 5 ? (sp[0] >> 4 == 6 ? 40 : 20) :
		    random());
		h.csum_offset = (uint16_t)(i % 7 ? 16 : random());
		got = vnet_split(&h, sp, len, arena, 4000, 16, 32, segs, 64);
		for (j = 0; j < got; j++)
			ATF_REQUIRE(segs[j].data >= arena + 16 &&
			    segs[j].data + segs[j].len + 32 <= arena + 4000);
	}
}

/* Packets in buffers with room for the vnet header before them. */
static struct vnet_pkt	 pkts[VNET_MAX_SEGMENTS];
static uint8_t		*pktmem[VNET_MAX_SEGMENTS];

static void
load(size_t i, const uint8_t *p, size_t len)
{
	if (pktmem[i] == NULL)
		ATF_REQUIRE((pktmem[i] = malloc(ROOM)) != NULL);
	memcpy(pktmem[i] + VNET_HDR_LEN, p, len);
	pkts[i].data = pktmem[i] + VNET_HDR_LEN;
	pkts[i].len = len;
}

/* The TCP checksum of packet i made right again after an edit. */
static void
fix_tcp(size_t i)
{
	uint8_t	*p = pkts[i].data;
	int	 v6 = p[0] >> 4 == 6;
	size_t	 iphlen = v6 ? 40 : 20, len = pkts[i].len;

	p[iphlen + 16] = p[iphlen + 17] = 0;
	p16(p + iphlen + 16, (uint16_t)~naive_fold(naive_sum(naive_pseudo(p,
	    v6, IPPROTO_TCP, len - iphlen), p + iphlen, len - iphlen)));
}

/* What the kernel reads from a write: the iovecs, one after another. */
static size_t
gather(const struct vnet_write *w, uint8_t *out)
{
	size_t	 len = 0;
	int	 i;

	for (i = 0; i < w->iovcnt; i++) {
		memcpy(out + len, w->iov[i].iov_base, w->iov[i].iov_len);
		len += w->iov[i].iov_len;
	}
	return len;
}

static struct vnet_write	 writes[VNET_MAX_SEGMENTS];

/* Splits a super-packet, merges the pieces: the same packet again. */
static void
check_roundtrip(int v6, int udp, size_t payload, uint16_t gso, uint8_t flags)
{
	static uint8_t	 sp[65536], got[ROOM], again[ROOM];
	struct vnet_hdr	 h, h2;
	size_t		 len, glen, i;
	int		 n, n2;

	len = make_super(sp, v6, udp, 0, 32, payload, gso, flags, &h);
	n = split(&h, sp, len);
	ATF_REQUIRE(n > 0);
	for (i = 0; i < (size_t)n; i++)
		load(i, segs[i].data, segs[i].len);
	if (udp && n > 1) {
		/* Without USO on the device, datagrams stay apart. */
		ATF_REQUIRE_EQ(vnet_gro(pkts, n, 0, writes), (size_t)n);
		for (i = 0; i < (size_t)n; i++)
			load(i, segs[i].data, segs[i].len);
	}
	ATF_REQUIRE_EQ(vnet_gro(pkts, n, udp, writes), 1);
	glen = gather(&writes[0], got);
	ATF_REQUIRE_EQ(glen, VNET_HDR_LEN + len);
	vnet_hdr_decode(&h2, got);
	if (n == 1) {
		ATF_CHECK_EQ(h2.gso_type, VNET_GSO_NONE);
		ATF_CHECK_EQ(h2.flags, 0);
		ATF_CHECK(valid_packet(got + VNET_HDR_LEN, len));
		return;
	}
	ATF_CHECK_EQ(h2.gso_type, udp ? VNET_GSO_UDP_L4 : v6 ?
	    VNET_GSO_TCPV6 : VNET_GSO_TCPV4);
	ATF_CHECK_EQ(h2.gso_size, gso);
	ATF_CHECK_EQ(h2.flags, VNET_F_NEEDS_CSUM);
	ATF_CHECK_EQ(h2.csum_start, v6 ? 40 : 20);
	ATF_CHECK_EQ(h2.csum_offset, udp ? 6 : 16);
	ATF_CHECK_EQ(h2.hdr_len, (v6 ? 40 : 20) + (udp ? 8 : 32));
	/* The merged packet is the super-packet we started from. */
	ATF_CHECK(memcmp(got + VNET_HDR_LEN, sp, len) == 0);
	/* Completed as the stack completes it, its checksum holds. */
	ATF_REQUIRE(vnet_finish_csum(got + VNET_HDR_LEN, len, &h2) == 0);
	ATF_CHECK(valid_packet(got + VNET_HDR_LEN, len));
	/* And it splits into the same segments as before. */
	memcpy(again, got + VNET_HDR_LEN, len);
	for (i = 0; i < (size_t)n; i++)
		memcpy(pktmem[i], segs[i].data, segs[i].len);
	n2 = split(&h2, again, len);
	ATF_REQUIRE_EQ(n2, n);
	for (i = 0; i < (size_t)n; i++)
		if (memcmp(pktmem[i], segs[i].data, segs[i].len) != 0)
			atf_tc_fail("segment %zu differs after the round "
			    "trip", i);
}

ATF_TC_WITHOUT_HEAD(gro_roundtrip);
ATF_TC_BODY(gro_roundtrip, tc)
{
	int	 v6;

	setup();
	for (v6 = 0; v6 <= 1; v6++) {
		check_roundtrip(v6, 0, 1380 * 40, 1380, 0x10);
		check_roundtrip(v6, 0, 1380 * 40 + 7, 1380, 0x18);
		check_roundtrip(v6, 0, 1380 * 2, 1380, 0x18);
		check_roundtrip(v6, 0, 500, 1380, 0x18);
		check_roundtrip(v6, 0, 65535 - 72 - 20, 1368, 0x18);
		/* UDP datagrams, merged into USO writes. */
		check_roundtrip(v6, 1, 1392 * 40, 1392, 0);
		check_roundtrip(v6, 1, 1392 * 10 + 99, 1392, 0);
		check_roundtrip(v6, 1, 700, 1392, 0);
		check_roundtrip(v6, 1, 65535 - 48 - 20, 1372, 0);
	}
}

/* Segments of a stream, ready to be merged in various orders. */
static size_t
segments(int v6, size_t payload, uint16_t gso)
{
	static uint8_t	 sp[65536];
	struct vnet_hdr	 h;
	size_t		 len;

	len = make_super(sp, v6, 0, 0, 32, payload, gso, 0x10, &h);
	return (size_t)split(&h, sp, len);
}

ATF_TC_WITHOUT_HEAD(gro_rules);
ATF_TC_BODY(gro_rules, tc)
{
	uint8_t	 tmp[2000];
	size_t	 n, i, w;

	setup();
	n = segments(0, 1000 * 6, 1000);
	ATF_REQUIRE_EQ(n, 6);

	/* Out of order: 0 1 3 2 4 5 -> {0 1} {3} {2} {4 5}? 3 breaks. */
	load(0, segs[0].data, segs[0].len);
	load(1, segs[1].data, segs[1].len);
	load(2, segs[3].data, segs[3].len);
	load(3, segs[2].data, segs[2].len);
	w = vnet_gro(pkts, 4, 0, writes);
	ATF_CHECK_EQ(w, 3);
	ATF_CHECK_EQ(writes[0].iovcnt, 2);

	/* A bad checksum: written alone, never merged. */
	n = segments(1, 1000 * 6, 1000);
	for (i = 0; i < n; i++)
		load(i, segs[i].data, segs[i].len);
	pkts[2].data[pkts[2].len - 1] ^= 1;
	w = vnet_gro(pkts, n, 0, writes);
	ATF_CHECK_EQ(w, 3);
	ATF_CHECK_EQ(writes[0].iovcnt, 2);
	ATF_CHECK_EQ(writes[1].iovcnt, 1);
	ATF_CHECK_EQ(writes[2].iovcnt, 3);

	/* Another ack, or other options: a new run. */
	n = segments(0, 1000 * 4, 1000);
	for (i = 0; i < n; i++)
		load(i, segs[i].data, segs[i].len);
	pkts[1].data[20 + 11] ^= 1;	/* the ack */
	fix_tcp(1);
	pkts[3].data[20 + 30] ^= 1;	/* an option byte */
	fix_tcp(3);
	for (i = 0; i < n; i++)
		ATF_REQUIRE(valid_packet(pkts[i].data, pkts[i].len));
	w = vnet_gro(pkts, n, 0, writes);
	ATF_CHECK_EQ(w, 4);

	/* A new window, or an IPv4 header whose checksum fails: alone. */
	n = segments(0, 1000 * 4, 1000);
	for (i = 0; i < n; i++)
		load(i, segs[i].data, segs[i].len);
	pkts[1].data[20 + 15] ^= 1;	/* the window */
	fix_tcp(1);
	ATF_REQUIRE(valid_packet(pkts[1].data, pkts[1].len));
	pkts[3].data[8] ^= 1;		/* the TTL, with the header sum stale */
	w = vnet_gro(pkts, n, 0, writes);
	ATF_CHECK_EQ(w, 4);
	/* And the IPv6 flow label. */
	n = segments(1, 1000 * 3, 1000);
	for (i = 0; i < n; i++)
		load(i, segs[i].data, segs[i].len);
	pkts[1].data[3] ^= 1;
	w = vnet_gro(pkts, n, 0, writes);
	ATF_CHECK_EQ(w, 3);

	/* Two flows interleaved: two runs, each in order. */
	n = segments(0, 1000 * 4, 1000);
	for (i = 0; i < n; i++)
		load(2 * i, segs[i].data, segs[i].len);
	n = segments(1, 1000 * 4, 1000);
	for (i = 0; i < n; i++)
		load(2 * i + 1, segs[i].data, segs[i].len);
	w = vnet_gro(pkts, 8, 0, writes);
	ATF_CHECK_EQ(w, 2);
	ATF_CHECK_EQ(writes[0].iovcnt, 4);
	ATF_CHECK_EQ(writes[1].iovcnt, 4);

	/* A FIN of the flow closes its run: what follows stays after it. */
	n = segments(0, 1000 * 4, 1000);
	for (i = 0; i < n; i++)
		load(i, segs[i].data, segs[i].len);
	memcpy(tmp, pkts[2].data, pkts[2].len);
	tmp[20 + 13] |= 0x01;		/* FIN: not a candidate */
	load(2, tmp, pkts[2].len);
	w = vnet_gro(pkts, n, 0, writes);
	ATF_CHECK_EQ(w, 3);
	ATF_CHECK_EQ(writes[0].iovcnt, 2);
	ATF_CHECK_EQ(writes[1].iovcnt, 1);
	ATF_CHECK_EQ(writes[2].iovcnt, 1);

	/* A short segment ends a run; PSH does too. */
	n = segments(0, 1000 * 2 + 10, 1000);
	ATF_REQUIRE_EQ(n, 3);
	for (i = 0; i < n; i++)
		load(i, segs[i].data, segs[i].len);
	load(3, segs[0].data, segs[0].len);	/* seq of 0 again: no follow */
	w = vnet_gro(pkts, 4, 0, writes);
	ATF_CHECK_EQ(w, 2);
	ATF_CHECK_EQ(writes[0].iovcnt, 3);

	/* UDP: a datagram without a checksum, or of a bigger size, alone. */
	{
		static uint8_t	 sp[65536];
		struct vnet_hdr	 h;
		size_t		 len;

		len = make_super(sp, 0, 1, 0, 0, 1000 * 5, 1000, 0, &h);
		n = (size_t)split(&h, sp, len);
		ATF_REQUIRE_EQ(n, 5);
		for (i = 0; i < n; i++)
			load(i, segs[i].data, segs[i].len);
		pkts[2].data[26] = pkts[2].data[27] = 0;	/* no checksum */
		w = vnet_gro(pkts, n, 1, writes);
		ATF_CHECK_EQ(w, 3);
		ATF_CHECK_EQ(writes[0].iovcnt, 2);
		ATF_CHECK_EQ(writes[1].iovcnt, 1);
		ATF_CHECK_EQ(writes[2].iovcnt, 2);
	}

	/* Not TCP, not IP: written as they are. */
	memset(tmp, 0, sizeof(tmp));
	tmp[0] = 0x45;
	tmp[9] = IPPROTO_UDP;
	load(0, tmp, 100);
	tmp[0] = 0x00;
	load(1, tmp, 1);
	w = vnet_gro(pkts, 2, 0, writes);
	ATF_CHECK_EQ(w, 2);
	for (i = 0; i < 2; i++) {
		ATF_CHECK_EQ(writes[i].iovcnt, 1);
		ATF_CHECK_EQ(writes[i].iov[0].iov_len, VNET_HDR_LEN +
		    pkts[i].len);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, checksum);
	ATF_TP_ADD_TC(tp, checksum_carries);
	ATF_TP_ADD_TC(tp, split_tcp);
	ATF_TP_ADD_TC(tp, split_udp);
	ATF_TP_ADD_TC(tp, finish_csum);
	ATF_TP_ADD_TC(tp, carries);
	ATF_TP_ADD_TC(tp, zero_checksum);
	ATF_TP_ADD_TC(tp, hostile);
	ATF_TP_ADD_TC(tp, gro_roundtrip);
	ATF_TP_ADD_TC(tp, gro_rules);
	return atf_no_error();
}
