/*
 * Batched UDP I/O for the data path: recvmmsg(2) with UDP_GRO, so one
 * call brings many datagrams, and sends of many datagrams to one
 * address in one sendmsg(2) with UDP_SEGMENT (GSO), or sendmmsg(2)
 * where that cannot be used.  Each received datagram keeps the local
 * address it came to (IP_PKTINFO, IPV6_PKTINFO), and a send may name
 * the local address to send from.
 *
 * The socket options are set by the parent (udpio_sockopts) before it
 * passes the socket on; the engine only reads and writes.
 */

#ifndef WGD_UDPIO_H
#define WGD_UDPIO_H

#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#define UDPIO_RECV_MSGS		32	/* messages per recvmmsg */
#define UDPIO_RECV_BUFSIZE	65536	/* a whole GRO batch */
#define UDPIO_GRO_SEGS		64	/* the kernel's most per batch */
#define UDPIO_MAX_DGRAMS	(UDPIO_RECV_MSGS * UDPIO_GRO_SEGS)
#define UDPIO_GSO_SEGS		64	/* UDP_MAX_SEGMENTS */
#define UDPIO_GSO_BYTES		(65535 - 40 - 8)	/* IPv6 and UDP */
/*
 * Bytes readable before and after each receive buffer, so that the
 * data path may read past a datagram's ends (aead.h).
 */
#define UDPIO_RECV_ROOM		64

/* The local address a datagram came to, or to send from. */
struct udpio_local {
	int			 af;	/* 0: none */
	int			 ifindex;
	union {
		struct in_addr	 in;
		struct in6_addr	 in6;
	}			 addr;
};

struct udpio_dgram {
	uint8_t			*data;
	size_t			 len;
	struct sockaddr_storage	*from;
	socklen_t		 fromlen;
	struct udpio_local	 local;
};

struct udpio_rx;

int	udpio_sockopts(int, int);
struct udpio_rx *udpio_rx_new(void);
void	udpio_rx_free(struct udpio_rx *);
int	udpio_recv(int, struct udpio_rx *, struct udpio_dgram *, size_t);
int	udpio_send(int, int *, const struct sockaddr *, socklen_t,
	    const struct udpio_local *, struct iovec *, size_t);

#endif /* WGD_UDPIO_H */
