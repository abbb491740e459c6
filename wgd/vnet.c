/*
 * Segmentation and coalescing for a TUN device with IFF_VNET_HDR.
 *
 * Reading: the kernel hands over up to 64 KiB of one TCP stream (TSO)
 * or of UDP datagrams (USO) as one IP packet whose header claims the
 * whole length, with gso_size saying how much payload each real packet
 * carries, and a transport checksum left partial.  vnet_split() makes
 * the packets the wire would have seen: each with its own IP length,
 * IPv4 id and header checksum, TCP sequence number and flags (FIN and
 * PSH only on the last, CWR only on the first) or UDP length, and a
 * complete transport checksum.
 *
 * Writing: vnet_gro() finds runs of in-order TCP segments of one flow
 * that the kernel's GRO would merge, checks each one's checksum (a
 * merged packet is trusted by the stack), and turns each run into one
 * write: the first segment's headers, fixed to cover the whole run,
 * then every segment's payload, as an iovec array for writev(2).
 */

#include <sys/types.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <string.h>

#include "vnet.h"

#define IPV4_HDR_MIN	20
#define IPV6_HDR_LEN	40
#define TCP_HDR_MIN	20
#define UDP_HDR_LEN	8

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCP_URG		0x20
#define TCP_ECE		0x40
#define TCP_CWR		0x80

#define TCP_CSUM_OFF	16
#define UDP_CSUM_OFF	6

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

void
vnet_hdr_decode(struct vnet_hdr *h, const uint8_t *p)
{
	h->flags = p[0];
	h->gso_type = p[1];
	memcpy(&h->hdr_len, p + 2, 2);
	memcpy(&h->gso_size, p + 4, 2);
	memcpy(&h->csum_start, p + 6, 2);
	memcpy(&h->csum_offset, p + 8, 2);
}

void
vnet_hdr_encode(const struct vnet_hdr *h, uint8_t *p)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	memcpy(p + 2, &h->hdr_len, 2);
	memcpy(p + 4, &h->gso_size, 2);
	memcpy(p + 6, &h->csum_start, 2);
	memcpy(p + 8, &h->csum_offset, 2);
}

/*
 * The one's complement sum (RFC 1071) in the machine's byte order: the
 * sum does not depend on where the 16-bit words fall, since 2^16, 2^32
 * and 2^64 are all 1 modulo 0xffff.  So 32-bit words go into four
 * 64-bit lanes, which cannot overflow before 2^32 words and which the
 * compiler turns into vector adds (twice the speed of 64-bit words with
 * carries), and the lanes go into the sum with the carries folded back
 * in.  Fold, invert and store it with memcpy, never with htons.
 */
uint64_t
vnet_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint64_t	 lane0 = 0, lane1 = 0, lane2 = 0, lane3 = 0, lanes;
	uint32_t	 w[4];
	uint16_t	 w16;
	uint8_t		 last[2];

	while (len >= sizeof(w)) {
		memcpy(w, p, sizeof(w));
		lane0 += w[0];
		lane1 += w[1];
		lane2 += w[2];
		lane3 += w[3];
		p += sizeof(w);
		len -= sizeof(w);
	}
	while (len >= 4) {
		memcpy(w, p, 4);
		lane0 += w[0];
		p += 4;
		len -= 4;
	}
	/* Each lane stays below 2^32 times the words in it: no overflow. */
	lanes = lane0 + lane1;
	lanes += lane2;
	lanes += lane3;
	sum += lanes;
	sum += sum < lanes;
	if (len >= 2) {
		memcpy(&w16, p, 2);
		sum += w16;
		sum += sum < w16;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		last[0] = p[0];
		last[1] = 0;
		memcpy(&w16, last, 2);
		sum += w16;
		sum += sum < w16;
	}
	return sum;
}

uint16_t
vnet_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The pseudo-header of TCP and UDP over the IP header at ip. */
uint64_t
vnet_pseudo_sum(const uint8_t *ip, int v6, uint8_t proto, size_t len)
{
	uint64_t	 sum;

	if (v6)
		sum = vnet_csum_add(0, ip + 8, 32);
	else
		sum = vnet_csum_add(0, ip + 12, 8);
	sum += htonl((uint32_t)len);
	sum += sum < htonl((uint32_t)len);
	sum += htonl(proto);
	sum += sum < htonl(proto);
	return sum;
}

static void
csum_store(uint8_t *p, uint64_t sum)
{
	uint16_t	 c = ~vnet_csum_fold(sum);

	memcpy(p, &c, 2);
}

static void
ipv4_csum(uint8_t *ip, size_t iphlen)
{
	ip[10] = ip[11] = 0;
	csum_store(ip + 10, vnet_csum_add(0, ip, iphlen));
}

/*
 * Completes the checksum a packet was handed over with: the field at
 * csum_start + csum_offset holds the pseudo-header's sum, and the sum
 * over everything from csum_start finishes it.
 */
int
vnet_finish_csum(uint8_t *pkt, size_t len, const struct vnet_hdr *h)
{
	size_t	 start = h->csum_start, field = start + h->csum_offset;

	if (!(h->flags & VNET_F_NEEDS_CSUM))
		return 0;
	if (start >= len || field + 2 > len || field < start)
		return -1;
	csum_store(pkt + field, vnet_csum_add(0, pkt + start, len - start));
	/*
	 * As the kernel finishes one: a zero is sent as all ones, which
	 * is the same sum, and which UDP needs (zero: "no checksum", an
	 * error over IPv6).
	 */
	if (pkt[field] == 0 && pkt[field + 1] == 0)
		pkt[field] = pkt[field + 1] = 0xff;
	return 0;
}

/*
 * The IP header of a super-packet: its length, and whether it is IPv6.
 * Only what TSO and USO produce is taken: no IPv4 fragment, no IPv6
 * extension header, the transport protocol right after, and a length
 * field that agrees with what was read.
 */
static int
super_ip(const uint8_t *p, size_t len, uint8_t gso, size_t *iphlen, int *v6,
    uint8_t *proto)
{
	switch (p[0] >> 4) {
	case 4:
		if (gso == VNET_GSO_TCPV6 || len < IPV4_HDR_MIN)
			return -1;
		*iphlen = (size_t)(p[0] & 0x0f) * 4;
		if (*iphlen < IPV4_HDR_MIN || *iphlen > len ||
		    get16(p + 2) != len || (get16(p + 6) & 0x3fff) != 0)
			return -1;
		*proto = p[9];
		*v6 = 0;
		return 0;
	case 6:
		if (gso == VNET_GSO_TCPV4 || len < IPV6_HDR_LEN ||
		    (size_t)get16(p + 4) + IPV6_HDR_LEN != len)
			return -1;
		*iphlen = IPV6_HDR_LEN;
		*proto = p[6];
		*v6 = 1;
		return 0;
	}
	return -1;
}

/*
 * Splits the packet pkt (len bytes, after its header h) into the
 * packets it stands for, laid one after another in arena (arenalen
 * bytes), each with headroom bytes free before it and tailroom after,
 * and described in out[0], out[1], ...  A packet without segmentation
 * is copied with its checksum finished.  Returns how many were made,
 * or -1 for a packet that is malformed, splits into more than nout
 * pieces or does not fit.
 */
int
vnet_split(const struct vnet_hdr *h, const uint8_t *pkt, size_t len,
    uint8_t *arena, size_t arenalen, size_t headroom, size_t tailroom,
    struct vnet_pkt *out, size_t nout)
{
	size_t		 iphlen, thlen, hdrlen, payload, off, seg, n, i, need;
	uint32_t	 seq = 0;
	uint16_t	 id = 0;
	uint8_t		 gso = h->gso_type & ~VNET_GSO_ECN, proto, flags = 0;
	uint8_t		*o, *th;
	int		 v6;

	if (len == 0 || len > VNET_MAX_PACKET || nout == 0)
		return -1;
	if (gso == VNET_GSO_NONE) {
		if (headroom + len + tailroom > arenalen)
			return -1;
		o = arena + headroom;
		memcpy(o, pkt, len);
		if (vnet_finish_csum(o, len, h) == -1)
			return -1;
		out[0].data = o;
		out[0].len = len;
		return 1;
	}
	if ((gso != VNET_GSO_TCPV4 && gso != VNET_GSO_TCPV6 &&
	    gso != VNET_GSO_UDP_L4) || h->gso_size == 0 || h->hdr_len > len)
		return -1;
	if (super_ip(pkt, len, gso, &iphlen, &v6, &proto) == -1 ||
	    h->csum_start != iphlen)
		return -1;
	if (gso == VNET_GSO_UDP_L4) {
		if (proto != IPPROTO_UDP || iphlen + UDP_HDR_LEN > len)
			return -1;
		thlen = UDP_HDR_LEN;
	} else {
		if (proto != IPPROTO_TCP || iphlen + TCP_HDR_MIN > len)
			return -1;
		thlen = (size_t)(pkt[iphlen + 12] >> 4) * 4;
		if (thlen < TCP_HDR_MIN || iphlen + thlen > len)
			return -1;
		seq = get32(pkt + iphlen + 4);
		flags = pkt[iphlen + 13];
	}
	hdrlen = iphlen + thlen;
	payload = len - hdrlen;
	if (payload == 0)
		return -1;
	n = (payload + h->gso_size - 1) / h->gso_size;
	need = n * (headroom + hdrlen + tailroom) + payload;
	if (n > nout || need > arenalen)
		return -1;
	if (!v6)
		id = get16(pkt + 4);

	o = arena;
	for (i = 0, off = 0; i < n; i++, off += seg) {
		seg = payload - off < h->gso_size ? payload - off : h->gso_size;
		o += headroom;
		memcpy(o, pkt, hdrlen);
		memcpy(o + hdrlen, pkt + hdrlen + off, seg);
		out[i].data = o;
		out[i].len = hdrlen + seg;
		o += out[i].len + tailroom;
		if (v6)
			put16(out[i].data + 4, (uint16_t)(thlen + seg));
		else {
			put16(out[i].data + 2, (uint16_t)out[i].len);
			put16(out[i].data + 4, (uint16_t)(id + i));
			ipv4_csum(out[i].data, iphlen);
		}
		th = out[i].data + iphlen;
		if (gso == VNET_GSO_UDP_L4) {
			put16(th + 4, (uint16_t)(thlen + seg));
			th[UDP_CSUM_OFF] = th[UDP_CSUM_OFF + 1] = 0;
			csum_store(th + UDP_CSUM_OFF, vnet_csum_add(
			    vnet_pseudo_sum(out[i].data, v6, proto,
			    thlen + seg), th, thlen + seg));
			/* A computed zero is sent as all ones (RFC 768). */
			if (th[UDP_CSUM_OFF] == 0 && th[UDP_CSUM_OFF + 1] == 0)
				th[UDP_CSUM_OFF] = th[UDP_CSUM_OFF + 1] = 0xff;
			continue;
		}
		put32(th + 4, seq + (uint32_t)off);
		th[13] = flags;
		if (i != n - 1)
			th[13] &= ~(TCP_FIN | TCP_PSH);
		if (i != 0)
			th[13] &= ~TCP_CWR;
		th[TCP_CSUM_OFF] = th[TCP_CSUM_OFF + 1] = 0;
		csum_store(th + TCP_CSUM_OFF, vnet_csum_add(
		    vnet_pseudo_sum(out[i].data, v6, proto, thlen + seg), th,
		    thlen + seg));
	}
	return (int)n;
}

/* A TCP segment that GRO could merge, parsed. */
struct gro_seg {
	size_t		 iphlen;
	size_t		 hdrlen;	/* IP and TCP or UDP headers */
	size_t		 paylen;
	uint32_t	 seq;		/* TCP */
	uint8_t		 proto;
	int		 v6;
	int		 psh;
};

/*
 * Whether the packet is a plain data segment of an established TCP
 * connection (ACK, perhaps PSH, some payload) or a UDP datagram with a
 * checksum, with headers that merge: IPv4 without options or
 * fragments, IPv6 without extension headers, and valid checksums.
 */
static int
gro_candidate(const uint8_t *p, size_t len, struct gro_seg *s)
{
	size_t	 thlen;
	uint8_t	 fl;

	if (len < IPV4_HDR_MIN)
		return 0;
	switch (p[0] >> 4) {
	case 4:
		/* The merged header gets a new checksum: the old must hold. */
		if (p[0] != 0x45 || get16(p + 2) != len ||
		    (get16(p + 6) & 0x3fff) != 0 ||
		    vnet_csum_fold(vnet_csum_add(0, p, IPV4_HDR_MIN)) != 0xffff)
			return 0;
		s->iphlen = IPV4_HDR_MIN;
		s->proto = p[9];
		s->v6 = 0;
		break;
	case 6:
		if (len < IPV6_HDR_LEN ||
		    (size_t)get16(p + 4) + IPV6_HDR_LEN != len)
			return 0;
		s->iphlen = IPV6_HDR_LEN;
		s->proto = p[6];
		s->v6 = 1;
		break;
	default:
		return 0;
	}
	if (s->proto == IPPROTO_UDP) {
		/* Length that adds up, some payload, and a checksum. */
		if (s->iphlen + UDP_HDR_LEN >= len ||
		    get16(p + s->iphlen + 4) != len - s->iphlen ||
		    get16(p + s->iphlen + UDP_CSUM_OFF) == 0)
			return 0;
		s->hdrlen = s->iphlen + UDP_HDR_LEN;
		s->paylen = len - s->hdrlen;
		s->seq = 0;
		s->psh = 0;
		goto csum;
	}
	if (s->proto != IPPROTO_TCP || s->iphlen + TCP_HDR_MIN > len)
		return 0;
	thlen = (size_t)(p[s->iphlen + 12] >> 4) * 4;
	if (thlen < TCP_HDR_MIN || s->iphlen + thlen >= len)
		return 0;
	fl = p[s->iphlen + 13];
	if ((fl & ~TCP_PSH) != TCP_ACK)
		return 0;
	s->hdrlen = s->iphlen + thlen;
	s->paylen = len - s->hdrlen;
	s->seq = get32(p + s->iphlen + 4);
	s->psh = (fl & TCP_PSH) != 0;
 csum:
	if (vnet_csum_fold(vnet_csum_add(vnet_pseudo_sum(p, s->v6,
	    s->proto, len - s->iphlen), p + s->iphlen,
	    len - s->iphlen)) != 0xffff)
		return 0;
	return 1;
}

/* What tells one TCP connection or UDP flow from another. */
struct gro_flow {
	int		 v6;
	uint8_t		 proto;
	uint8_t		 addrs[32];
	uint8_t		 ports[4];
};

/*
 * The flow of any TCP packet, or UDP one when udp is set, merge
 * candidate or not; 0 if none.
 */
static int
gro_flow(const uint8_t *p, size_t len, int udp, struct gro_flow *f)
{
	size_t	 iphlen;

	memset(f, 0, sizeof(*f));
	if (len >= IPV4_HDR_MIN && p[0] >> 4 == 4) {
		iphlen = (size_t)(p[0] & 0x0f) * 4;
		f->proto = p[9];
		memcpy(f->addrs, p + 12, 8);
	} else if (len >= IPV6_HDR_LEN && p[0] >> 4 == 6) {
		iphlen = IPV6_HDR_LEN;
		f->proto = p[6];
		memcpy(f->addrs, p + 8, 32);
		f->v6 = 1;
	} else
		return 0;
	if (f->proto != IPPROTO_TCP && (f->proto != IPPROTO_UDP || !udp))
		return 0;
	if (iphlen + 4 > len)
		return 0;
	memcpy(f->ports, p + iphlen, 4);
	return 1;
}

/*
 * Whether b, of a's flow, merges after a: the acknowledgement and the
 * window, the IP fields that GRO keeps equal (TOS or traffic class and
 * flow label, DF, TTL or hop limit), identical TCP options, and the
 * next sequence number.
 */
static int
gro_follows(const uint8_t *a, const struct gro_seg *sa, uint32_t next,
    const uint8_t *b, const struct gro_seg *sb)
{
	const uint8_t	*ta = a + sa->iphlen, *tb = b + sb->iphlen;

	if (sa->hdrlen != sb->hdrlen || sa->proto != sb->proto)
		return 0;
	if (sa->v6) {
		/* Traffic class and flow label, and the hop limit. */
		if (memcmp(a, b, 4) != 0 || a[7] != b[7])
			return 0;
	} else if (a[1] != b[1] || (a[6] & 0xe0) != (b[6] & 0xe0) ||
	    a[8] != b[8])
		return 0;
	if (sa->proto == IPPROTO_UDP)
		return 1;
	/* The acknowledgement and, as Linux's GRO, the window. */
	if (memcmp(ta + 8, tb + 8, 4) != 0 ||
	    memcmp(ta + 14, tb + 14, 2) != 0 ||
	    memcmp(ta + TCP_HDR_MIN, tb + TCP_HDR_MIN,
	    sa->hdrlen - sa->iphlen - TCP_HDR_MIN) != 0)
		return 0;
	return sb->seq == next;
}

/* A run being merged. */
struct gro_run {
	struct gro_flow	 flow;
	size_t		 first;		/* packet index of the head */
	size_t		 last;		/* of the last member */
	size_t		 count;
	size_t		 total;		/* IP length of the merged packet */
	uint32_t	 next_seq;
	int		 open;		/* may take more */
};

/* Fixes the head's headers to stand for the run, and its vnet header. */
static void
gro_close(struct vnet_pkt *pkts, const struct gro_seg *segs,
    const struct gro_run *r)
{
	const struct gro_seg	*s = &segs[r->first];
	struct vnet_hdr		 h;
	uint8_t			*p = pkts[r->first].data, *th = p + s->iphlen;
	uint16_t		 partial;

	if (s->v6)
		put16(p + 4, (uint16_t)(r->total - IPV6_HDR_LEN));
	else {
		put16(p + 2, (uint16_t)r->total);
		ipv4_csum(p, s->iphlen);
	}
	memset(&h, 0, sizeof(h));
	if (s->proto == IPPROTO_UDP) {
		put16(th + 4, (uint16_t)(r->total - s->iphlen));
		h.gso_type = VNET_GSO_UDP_L4;
		h.csum_offset = UDP_CSUM_OFF;
	} else {
		if (segs[r->last].psh)
			th[13] |= TCP_PSH;
		h.gso_type = s->v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
		h.csum_offset = TCP_CSUM_OFF;
	}
	/* Left partial: the pseudo-header's sum, not inverted. */
	partial = vnet_csum_fold(vnet_pseudo_sum(p, s->v6, s->proto,
	    r->total - s->iphlen));
	memcpy(th + h.csum_offset, &partial, 2);
	h.flags = VNET_F_NEEDS_CSUM;
	h.hdr_len = (uint16_t)s->hdrlen;
	h.gso_size = (uint16_t)s->paylen;
	h.csum_start = (uint16_t)s->iphlen;
	vnet_hdr_encode(&h, p - VNET_HDR_LEN);
}

/* Adds packet i to the open run of its flow, if it merges there. */
static int
gro_join(struct vnet_pkt *pkts, struct gro_seg *segs, struct gro_run *r,
    size_t i)
{
	const struct gro_seg	*head = &segs[r->first];
	const struct gro_seg	*s = &segs[i];

	if (!gro_follows(pkts[r->first].data, head, r->next_seq,
	    pkts[i].data, s) || s->paylen > head->paylen ||
	    r->total + s->paylen > VNET_MAX_PACKET)
		return 0;
	r->last = i;
	r->count++;
	r->total += s->paylen;
	r->next_seq += (uint32_t)s->paylen;
	/* Only the last may be short or push. */
	if (s->paylen < head->paylen || s->psh)
		r->open = 0;
	return 1;
}

/*
 * Groups n packets (at most VNET_MAX_SEGMENTS) into writes, one per
 * element of writes, and returns how many.  TCP segments merge, and UDP
 * datagrams too when udp is set (the device takes USO).  Writes keep
 * the order of their first packet, and a flow's packets stay in order:
 * a packet of an open run's flow that cannot join it closes the run.  A
 * merged run's head packet has its headers changed to cover the run.
 */
size_t
vnet_gro(struct vnet_pkt *pkts, size_t n, int udp,
    struct vnet_write *writes)
{
	struct gro_seg	 segs[VNET_MAX_SEGMENTS];
	struct gro_run	 runs[VNET_MAX_SEGMENTS];
	size_t		 member_of[VNET_MAX_SEGMENTS];
	struct gro_flow	 flow;
	struct gro_run	*r;
	struct iovec	*iov;
	size_t		 nruns = 0, i, j, k;
	int		 known, cand, joined;

	if (n > VNET_MAX_SEGMENTS)
		n = VNET_MAX_SEGMENTS;
	for (i = 0; i < n; i++) {
		known = gro_flow(pkts[i].data, pkts[i].len, udp, &flow);
		cand = known && gro_candidate(pkts[i].data, pkts[i].len,
		    &segs[i]);
		joined = 0;
		for (j = 0; known && j < nruns; j++) {
			r = &runs[j];
			if (!r->open || memcmp(&r->flow, &flow,
			    sizeof(flow)) != 0)
				continue;
			if (cand && gro_join(pkts, segs, r, i)) {
				member_of[i] = j;
				joined = 1;
			} else
				r->open = 0;
			break;
		}
		if (joined)
			continue;
		r = &runs[nruns];
		member_of[i] = nruns++;
		r->flow = flow;
		r->first = r->last = i;
		r->count = 1;
		r->total = pkts[i].len;
		r->next_seq = cand ? segs[i].seq + (uint32_t)segs[i].paylen : 0;
		r->open = cand && !segs[i].psh;
	}

	for (k = 0; k < nruns; k++) {
		r = &runs[k];
		if (r->count > 1)
			gro_close(pkts, segs, r);
		else
			memset(pkts[r->first].data - VNET_HDR_LEN, 0,
			    VNET_HDR_LEN);
		iov = writes[k].iov;
		iov[0].iov_base = pkts[r->first].data - VNET_HDR_LEN;
		iov[0].iov_len = VNET_HDR_LEN + pkts[r->first].len;
		writes[k].iovcnt = 1;
		for (i = r->first + 1; r->count > 1 && i <= r->last; i++) {
			if (member_of[i] != k)
				continue;
			iov[writes[k].iovcnt].iov_base = pkts[i].data +
			    segs[i].hdrlen;
			iov[writes[k].iovcnt].iov_len = segs[i].paylen;
			writes[k].iovcnt++;
		}
	}
	return nruns;
}
