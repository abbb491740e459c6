/*
 * Many datagrams per system call, both ways.
 *
 * Receiving, UDP_GRO lets the kernel hand over up to 64 datagrams of one
 * sender and one size as a single buffer, with their size in a control
 * message; recvmmsg(2) takes several such buffers at once.  Sending, a
 * run of datagrams to one address (all the same size but the last, as
 * the segments of one TUN super-packet are) leaves in one sendmsg(2)
 * with UDP_SEGMENT.  When the kernel refuses that (EMSGSIZE or EINVAL:
 * a path MTU lowered under the segment size), the run goes out as
 * separate datagrams with sendmmsg(2); EIO, from a device that cannot
 * checksum, turns GSO off for the socket, as wireguard-go does.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/udp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "udpio.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif
#ifndef UDP_GRO
#define UDP_GRO		104
#endif
#ifndef SOL_UDP
#define SOL_UDP		17
#endif

#define CTL_SIZE	(CMSG_SPACE(sizeof(int)) + \
			    CMSG_SPACE(sizeof(struct in6_pktinfo)))

union udpio_ctl {
	char			 buf[CTL_SIZE];
	struct cmsghdr		 align;
};

struct udpio_rx {
	struct mmsghdr		 msgs[UDPIO_RECV_MSGS];
	struct iovec		 iov[UDPIO_RECV_MSGS];
	struct sockaddr_storage	 from[UDPIO_RECV_MSGS];
	union udpio_ctl		 ctl[UDPIO_RECV_MSGS];
	uint8_t			*buf[UDPIO_RECV_MSGS];
};

/*
 * For the tests only: WGD_TEST_GSO_EIO makes every GSO send fail with
 * EIO, as on a device without checksum offload.  (On this kernel a veth
 * with "tx off" segments in software and never returns it.)
 */
static int
gso_test_eio(void)
{
	static int	 v = -1;

	if (v == -1)
		v = getenv("WGD_TEST_GSO_EIO") != NULL;
	return v;
}

/*
 * Sets what the data path needs on a socket of family af: GRO, and the
 * local address of each datagram.  GRO is a wish (older kernels lack
 * it); the addresses are not.  Returns -1 after logging.
 */
int
udpio_sockopts(int fd, int af)
{
	int	 on = 1, dont = IP_PMTUDISC_DONT, dont6 = IPV6_PMTUDISC_DONT;

	if (setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) == -1)
		log_debug("UDP_GRO: %s", strerror(errno));
	/*
	 * As the kernel's WireGuard: outer packets may be fragmented, so a
	 * path with a smaller MTU slows the tunnel instead of cutting it.
	 */
	if (af == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on,
		    sizeof(on)) == -1 ||
		    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont,
		    sizeof(dont)) == -1) {
			log_warn("IP_PKTINFO, IP_MTU_DISCOVER");
			return -1;
		}
	} else if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
	    sizeof(on)) == -1 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &dont6,
	    sizeof(dont6)) == -1) {
		log_warn("IPV6_RECVPKTINFO, IPV6_MTU_DISCOVER");
		return -1;
	}
	return 0;
}

struct udpio_rx *
udpio_rx_new(void)
{
	struct udpio_rx	*rx;
	size_t		 i;

	if ((rx = calloc(1, sizeof(*rx))) == NULL)
		return NULL;
	for (i = 0; i < UDPIO_RECV_MSGS; i++) {
		if ((rx->buf[i] = calloc(1, UDPIO_RECV_ROOM +
		    UDPIO_RECV_BUFSIZE + UDPIO_RECV_ROOM)) == NULL) {
			udpio_rx_free(rx);
			return NULL;
		}
		rx->buf[i] += UDPIO_RECV_ROOM;
	}
	return rx;
}

void
udpio_rx_free(struct udpio_rx *rx)
{
	size_t	 i;

	if (rx == NULL)
		return;
	for (i = 0; i < UDPIO_RECV_MSGS; i++)
		if (rx->buf[i] != NULL)
			free(rx->buf[i] - UDPIO_RECV_ROOM);
	free(rx);
}

/* The GRO segment size and the local address of one message. */
static void
rx_control(struct msghdr *mh, int *gso, struct udpio_local *local)
{
	struct cmsghdr		*cm;
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;

	*gso = 0;
	memset(local, 0, sizeof(*local));
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(gso, CMSG_DATA(cm), sizeof(int));
		else if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi))) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			local->af = AF_INET;
			local->ifindex = pi.ipi_ifindex;
			local->addr.in = pi.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			local->af = AF_INET6;
			local->ifindex = (int)pi6.ipi6_ifindex;
			local->addr.in6 = pi6.ipi6_addr;
		}
	}
}

/*
 * One recvmmsg(2) on the non-blocking socket fd: fills out (room for
 * nout, at least UDPIO_MAX_DGRAMS) with each datagram, GRO batches cut
 * at their segment size.  The datagrams live in rx until its next use.
 * Returns how many, 0 when nothing waits, or -1 on an error.
 */
int
udpio_recv(int fd, struct udpio_rx *rx, struct udpio_dgram *out,
    size_t nout)
{
	struct udpio_local	 local;
	struct msghdr		*mh;
	size_t			 n = 0, off, len, seg;
	int			 got, i, gso;

	for (i = 0; i < UDPIO_RECV_MSGS; i++) {
		rx->iov[i].iov_base = rx->buf[i];
		rx->iov[i].iov_len = UDPIO_RECV_BUFSIZE;
		mh = &rx->msgs[i].msg_hdr;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &rx->from[i];
		mh->msg_namelen = sizeof(rx->from[i]);
		mh->msg_iov = &rx->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = rx->ctl[i].buf;
		mh->msg_controllen = sizeof(rx->ctl[i].buf);
	}
	if ((got = recvmmsg(fd, rx->msgs, UDPIO_RECV_MSGS, MSG_DONTWAIT,
	    NULL)) == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	for (i = 0; i < got; i++) {
		mh = &rx->msgs[i].msg_hdr;
		len = rx->msgs[i].msg_len;
		if (mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC) ||
		    mh->msg_namelen > sizeof(rx->from[i]) ||
		    (rx->from[i].ss_family != AF_INET &&
		    rx->from[i].ss_family != AF_INET6))
			continue;
		rx_control(mh, &gso, &local);
		seg = gso > 0 ? (size_t)gso : len;
		off = 0;
		do {
			if (n == nout)
				return (int)n;
			out[n].data = rx->buf[i] + off;
			out[n].len = len - off < seg ? len - off : seg;
			out[n].from = &rx->from[i];
			out[n].fromlen = mh->msg_namelen;
			out[n].local = local;
			off += out[n++].len;
		} while (off < len);
	}
	return (int)n;
}

/* The control messages of a send: the segment size and the source. */
static socklen_t
tx_control(union udpio_ctl *ctl, size_t segsize,
    const struct udpio_local *src)
{
	struct cmsghdr		*cm = &ctl->align;
	struct in_pktinfo	 pi;
	struct in6_pktinfo	 pi6;
	socklen_t		 len = 0;
	uint16_t		 seg = (uint16_t)segsize;

	memset(ctl, 0, sizeof(*ctl));
	if (segsize > 0) {
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
		len += CMSG_SPACE(sizeof(seg));
		cm = (struct cmsghdr *)(ctl->buf + len);
	}
	if (src != NULL && src->af == AF_INET) {
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = src->addr.in;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		len += CMSG_SPACE(sizeof(pi));
	} else if (src != NULL && src->af == AF_INET6) {
		memset(&pi6, 0, sizeof(pi6));
		pi6.ipi6_addr = src->addr.in6;
		pi6.ipi6_ifindex = (unsigned int)src->ifindex;
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi6));
		memcpy(CMSG_DATA(cm), &pi6, sizeof(pi6));
		len += CMSG_SPACE(sizeof(pi6));
	}
	return len;
}

/* Each datagram on its own, as many per call as the kernel takes. */
static int
send_each(int fd, const struct sockaddr *to, socklen_t tolen,
    const struct udpio_local *src, struct iovec *iov, size_t n)
{
	struct mmsghdr		 msgs[UDPIO_GSO_SEGS];
	union udpio_ctl		 ctl;
	socklen_t		 ctllen;
	size_t			 i, done = 0;
	int			 sent;

	ctllen = tx_control(&ctl, 0, src);
	while (done < n) {
		for (i = 0; i < n - done && i < UDPIO_GSO_SEGS; i++) {
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_name = (void *)to;
			msgs[i].msg_hdr.msg_namelen = tolen;
			msgs[i].msg_hdr.msg_iov = &iov[done + i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			if (ctllen > 0) {
				msgs[i].msg_hdr.msg_control = ctl.buf;
				msgs[i].msg_hdr.msg_controllen = ctllen;
			}
		}
		if ((sent = sendmmsg(fd, msgs, (unsigned int)i, 0)) == -1)
			return -1;
		done += (size_t)sent;
	}
	return 0;
}

/*
 * Sends the n datagrams of iov, one datagram each, on the socket fd to
 * the address to, from the local address src if it names one.  *gso
 * says whether to try UDP_SEGMENT, and is cleared for good by an EIO.
 * GSO takes a run of datagrams of the first one's size, the last of it
 * perhaps shorter; a datagram smaller than the next leaves alone, and
 * a run the kernel refuses leaves one by one.
 * Returns 0, or -1 with errno set when the kernel took none of them or
 * failed partway.
 */
int
udpio_send(int fd, int *gso, const struct sockaddr *to, socklen_t tolen,
    const struct udpio_local *src, struct iovec *iov, size_t n)
{
	struct msghdr	 mh;
	union udpio_ctl	 ctl;
	size_t		 seg, total, batch;

	while (n > 1 && *gso) {
		seg = iov[0].iov_len;
		total = 0;
		for (batch = 0; batch < n && batch < UDPIO_GSO_SEGS; batch++) {
			if (iov[batch].iov_len > seg ||
			    total + iov[batch].iov_len > UDPIO_GSO_BYTES)
				break;
			total += iov[batch].iov_len;
			/* Only the last may be short. */
			if (iov[batch].iov_len < seg) {
				batch++;
				break;
			}
		}
		if (batch < 2) {
			if (send_each(fd, to, tolen, src, iov, 1) == -1)
				return -1;
			iov++;
			n--;
			continue;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = (void *)to;
		mh.msg_namelen = tolen;
		mh.msg_iov = iov;
		mh.msg_iovlen = batch;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = tx_control(&ctl, seg, src);
		if (gso_test_eio() || sendmsg(fd, &mh, 0) == -1) {
			if (gso_test_eio())
				errno = EIO;
			if (errno == EIO) {
				log_info("UDP segmentation offload fails "
				    "with EIO here: off for this socket");
				*gso = 0;
			} else if (errno != EMSGSIZE && errno != EINVAL)
				return -1;
			/* This batch goes out one by one. */
			if (send_each(fd, to, tolen, src, iov, batch) == -1)
				return -1;
		}
		iov += batch;
		n -= batch;
	}
	return n == 0 ? 0 : send_each(fd, to, tolen, src, iov, n);
}
