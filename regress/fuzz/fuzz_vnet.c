/*
 * The TUN side's packet work (wgd/vnet.c) on any header and packet.
 * The first byte chooses:
 *
 *	bit 0 clear: a read from TUN, a virtio_net_hdr (10 bytes) and a
 *	packet after it, as datapath.c's tun_read_one() takes it: the
 *	checksum finished, or the super-packet split into an arena of
 *	its size.  Every piece of a split must carry a right checksum;
 *	the pieces, coalesced again (vnet_gro; bit 1: UDP too, as with
 *	USO) and split again, must be the same pieces.
 *
 *	bit 0 set: packets decrypted for TUN, each a 2-byte length
 *	(little-endian) and its bytes, kept if they pass datapath.c's
 *	checks (an IP packet, cut to its IP length), coalesced with
 *	vnet_gro (bit 1: UDP too, as with USO).  Every write must be a
 *	vnet header and packet that splits, into as many bytes as went in.
 *
 * Every packet is in a buffer of its own exact size, with the vnet
 * header's room before it, so the sanitizers see a byte read too far.
 */

#include <sys/types.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vnet.h"
#include "wg_proto.h"

#define HEADROOM	WG_MSG_DATA_HEADER_SIZE
#define TAILROOM	(WG_DATA_PADDING + WG_AEAD_TAG_SIZE)
#define ARENA_SIZE	(VNET_MAX_PACKET + VNET_MAX_SEGMENTS * \
			    (WG_MSG_DATA_HEADER_SIZE + 120 + TAILROOM))

static uint8_t	*arena, *arena2, *joined;

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A transport checksum that holds, and an IPv4 header's. */
static void
check_sums(const uint8_t *p, size_t len)
{
	size_t		 iphlen;
	uint8_t		 proto;
	int		 v6 = p[0] >> 4 == 6;

	iphlen = v6 ? 40 : (size_t)(p[0] & 0x0f) * 4;
	proto = v6 ? p[6] : p[9];
	FUZZ_CHECK(iphlen < len);
	if (!v6)
		FUZZ_CHECK(vnet_csum_fold(vnet_csum_add(0, p, iphlen)) ==
		    0xffff);
	FUZZ_CHECK(vnet_csum_fold(vnet_csum_add(vnet_pseudo_sum(p, v6, proto,
	    len - iphlen), p + iphlen, len - iphlen)) == 0xffff);
}

/* Joins a write's iovecs; the length of its packet, after the header. */
static size_t
join(const struct vnet_write *w, struct vnet_hdr *h)
{
	size_t	 len = 0;
	int	 i;

	FUZZ_CHECK(w->iovcnt >= 1 && w->iovcnt <= VNET_GRO_MAX_IOV);
	FUZZ_CHECK(w->iov[0].iov_len > VNET_HDR_LEN);
	for (i = 0; i < w->iovcnt; i++) {
		FUZZ_CHECK(len + w->iov[i].iov_len <= VNET_HDR_LEN +
		    VNET_MAX_PACKET);
		memcpy(joined + len, w->iov[i].iov_base, w->iov[i].iov_len);
		len += w->iov[i].iov_len;
	}
	vnet_hdr_decode(h, joined);
	return len - VNET_HDR_LEN;
}

static void
tun_read(const uint8_t *data, size_t len, int udp)
{
	struct vnet_pkt		 segs[VNET_MAX_SEGMENTS];
	struct vnet_pkt		 again[VNET_MAX_SEGMENTS];
	struct vnet_write	 writes[VNET_MAX_SEGMENTS];
	struct vnet_hdr		 h;
	uint8_t			*pkt, *copies[VNET_MAX_SEGMENTS];
	size_t			 plen, nw, i, k, m;
	int			 n, r;

	if (len <= VNET_HDR_LEN)
		return;
	vnet_hdr_decode(&h, data);
	plen = len - VNET_HDR_LEN;
	if ((pkt = malloc(plen)) == NULL)
		abort();
	memcpy(pkt, data + VNET_HDR_LEN, plen);
	if ((h.gso_type & ~VNET_GSO_ECN) == VNET_GSO_NONE) {
		(void)vnet_finish_csum(pkt, plen, &h);
		free(pkt);
		return;
	}
	n = vnet_split(&h, pkt, plen, arena, ARENA_SIZE, HEADROOM, TAILROOM,
	    segs, VNET_MAX_SEGMENTS);
	free(pkt);
	if (n == -1)
		return;
	FUZZ_CHECK(n >= 1 && n <= VNET_MAX_SEGMENTS);
	for (i = 0; i < (size_t)n; i++) {
		FUZZ_CHECK(segs[i].data >= arena + HEADROOM &&
		    segs[i].data + segs[i].len + TAILROOM <=
		    arena + ARENA_SIZE);
		check_sums(segs[i].data, segs[i].len);
		if ((copies[i] = malloc(segs[i].len)) == NULL)
			abort();
		memcpy(copies[i], segs[i].data, segs[i].len);
	}

	/* As the other end's wgd would write them to its TUN. */
	nw = vnet_gro(segs, (size_t)n, udp, writes);
	FUZZ_CHECK(nw >= 1 && nw <= (size_t)n);
	for (i = 0, k = 0; i < nw; i++) {
		plen = join(&writes[i], &h);
		r = vnet_split(&h, joined + VNET_HDR_LEN, plen, arena2,
		    ARENA_SIZE, HEADROOM, TAILROOM, again, VNET_MAX_SEGMENTS);
		FUZZ_CHECK(r >= 1 && k + (size_t)r <= (size_t)n);
		for (m = 0; m < (size_t)r; m++, k++)
			FUZZ_CHECK(again[m].len == segs[k].len &&
			    memcmp(again[m].data, copies[k], segs[k].len) == 0);
	}
	FUZZ_CHECK(k == (size_t)n);
	for (i = 0; i < (size_t)n; i++)
		free(copies[i]);
}

/* datapath.c's ip_addr() and ip_len(): the IP length, or 0. */
static size_t
ip_len(const uint8_t *p, size_t len)
{
	size_t	 n;

	if (len < 1)
		return 0;
	switch (p[0] >> 4) {
	case 4:
		if (len < 20 || (p[0] & 0x0f) < 5)
			return 0;
		n = get16(p + 2);
		if (n < (size_t)(p[0] & 0x0f) * 4)
			return 0;
		break;
	case 6:
		if (len < 40)
			return 0;
		n = get16(p + 4) + 40;
		break;
	default:
		return 0;
	}
	return n <= len ? n : 0;
}

static void
tun_write(const uint8_t *data, size_t len, int udp)
{
	struct fuzz_in		 in = { data, len };
	struct vnet_pkt		 pkts[VNET_MAX_SEGMENTS];
	struct vnet_pkt		 segs[VNET_MAX_SEGMENTS];
	struct vnet_write	 writes[VNET_MAX_SEGMENTS];
	struct vnet_hdr		 h;
	uint8_t			*bufs[VNET_MAX_SEGMENTS];
	size_t			 n = 0, nw, i, dlen, plen, in_bytes = 0;
	size_t			 out_bytes = 0;
	int			 r, k;

	while (in.len > 0 && n < VNET_MAX_SEGMENTS) {
		if ((dlen = fuzz_u16(&in)) > in.len)
			dlen = in.len;
		/* The padding after the IP packet is cut off. */
		if ((plen = ip_len(in.p, dlen)) != 0) {
			if ((bufs[n] = malloc(VNET_HDR_LEN + plen)) == NULL)
				abort();
			memcpy(bufs[n] + VNET_HDR_LEN, in.p, plen);
			pkts[n].data = bufs[n] + VNET_HDR_LEN;
			pkts[n].len = plen;
			in_bytes += plen;
			n++;
		}
		in.p += dlen;
		in.len -= dlen;
	}
	nw = vnet_gro(pkts, n, udp, writes);
	FUZZ_CHECK(nw <= n);
	for (i = 0; i < nw; i++) {
		plen = join(&writes[i], &h);
		r = vnet_split(&h, joined + VNET_HDR_LEN, plen, arena,
		    ARENA_SIZE, HEADROOM, TAILROOM, segs, VNET_MAX_SEGMENTS);
		FUZZ_CHECK(r >= 1);
		for (k = 0; k < r; k++)
			out_bytes += segs[k].len;
	}
	FUZZ_CHECK(out_bytes == in_bytes);
	for (i = 0; i < n; i++)
		free(bufs[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (arena == NULL && ((arena = malloc(ARENA_SIZE)) == NULL ||
	    (arena2 = malloc(ARENA_SIZE)) == NULL ||
	    (joined = malloc(VNET_HDR_LEN + VNET_MAX_PACKET)) == NULL))
		abort();
	if (len < 1)
		return 0;
	if (data[0] & 1)
		tun_write(data + 1, len - 1, (data[0] & 2) != 0);
	else
		tun_read(data + 1, len - 1, (data[0] & 2) != 0);
	return 0;
}
